#include "registry/shared/audit/sqlite_trail.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "registry/shared/sqlite/sqlite_connection.h"

namespace xds::audit {
namespace {

class SqliteTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("trail_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "audit.db").string();
    Reopen();
  }

  void Reopen() {
    trail_.reset();
    auto trail = SqliteTrail::Open(path_);
    ASSERT_TRUE(trail.ok()) << trail.status();
    trail_ = *std::move(trail);
  }

  static AuditEvent Event(const std::string& transaction, const std::string& patient, int64_t time_ms) {
    AuditEvent event;
    event.set_transaction(transaction);
    event.set_time_ms(time_ms);
    if (!patient.empty()) event.add_patient_ids(patient);
    return event;
  }

  void AppendAll(std::vector<AuditEvent> events) {
    auto response = trail_->Append(events);
    ASSERT_TRUE(response.ok()) << response.status();
  }

  // Runs SQL on the file behind the trail's back (an intruder with write access).
  void Tamper(const std::string& sql) {
    trail_.reset();
    auto conn = sqlite::Connection::Open(path_, /*read_only=*/false);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Exec(sql).ok()) << sql;
    conn->reset();
    Reopen();
  }

  VerifyAuditResponse Verify() {
    auto verified = trail_->Verify();
    EXPECT_TRUE(verified.ok()) << verified.status();
    return verified.ok() ? *verified : VerifyAuditResponse();
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteTrail> trail_;
};

TEST_F(SqliteTrailTest, AppendsInOrderAndVerifies) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p2", 1001), Event("ITI-42", "p1", 1002)});
  AppendAll({Event("Stats", "", 1003)});
  EXPECT_EQ(trail_->LastSeq(), 4);
  auto events = trail_->ReadAfter(1, 10, /*own_only=*/true);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].seq(), 2);
  EXPECT_EQ((*events)[0].transaction(), "ITI-43");
  VerifyAuditResponse verified = Verify();
  EXPECT_TRUE(verified.intact()) << verified.problem();
  EXPECT_EQ(verified.events(), 4);
  EXPECT_EQ(verified.last_seq(), 4);
  // The chain continues across a restart.
  Reopen();
  EXPECT_EQ(trail_->LastSeq(), 4);
  AppendAll({Event("ITI-18", "p1", 1004)});
  EXPECT_TRUE(Verify().intact());
}

TEST_F(SqliteTrailTest, ForPatientAnswersOnlyThatPatientInTimeOrderAndWindow) {
  AppendAll({Event("ITI-18", "p1", 3000), Event("ITI-18", "p2", 1000), Event("ITI-43", "p1", 2000),
             Event("ITI-42", "p1", 4000)});
  AuditLogRequest request;
  request.set_patient_id("p1");
  auto log = trail_->ForPatient(request);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->events_size(), 3);
  EXPECT_EQ(log->events(0).time_ms(), 2000);
  EXPECT_EQ(log->events(2).time_ms(), 4000);
  for (const AuditEvent& e : log->events()) EXPECT_EQ(e.patient_ids(0), "p1");
  request.set_from_ms(2500);
  request.set_to_ms(4000);
  log = trail_->ForPatient(request);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->events_size(), 1);
  EXPECT_EQ(log->events(0).time_ms(), 3000);
  request = AuditLogRequest();
  request.set_patient_id("p1");
  request.set_limit(2);
  log = trail_->ForPatient(request);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->events_size(), 2);
  EXPECT_TRUE(log->truncated());
}

TEST_F(SqliteTrailTest, ForwardedEventsAreKeptOnce) {
  AuditEvent forwarded = Event("ITI-43", "p1", 1000);
  forwarded.set_origin("CN=repository");
  forwarded.set_origin_seq(7);
  std::vector<AuditEvent> batch = {forwarded, Event("ITI-18", "p1", 1001)};
  auto first = trail_->Append(batch);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->accepted(), 2);
  std::vector<AuditEvent> again = {forwarded};
  auto second = trail_->Append(again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->accepted(), 0);
  EXPECT_EQ(second->duplicates(), 1);
  auto own = trail_->ReadAfter(0, 10, /*own_only=*/true);
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].transaction(), "ITI-18");
  auto all = trail_->ReadAfter(0, 10, /*own_only=*/false);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(SqliteTrailTest, CursorsAreDurable) {
  auto cursor = trail_->Cursor("atna:udp://127.0.0.1:514");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, 0);
  ASSERT_TRUE(trail_->SetCursor("atna:udp://127.0.0.1:514", 42).ok());
  ASSERT_TRUE(trail_->SetCursor("atna:udp://127.0.0.1:514", 43).ok());
  Reopen();
  cursor = trail_->Cursor("atna:udp://127.0.0.1:514");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, 43);
}

TEST_F(SqliteTrailTest, WaitBeyondWakesOnAppend) {
  EXPECT_FALSE(trail_->WaitBeyond(0, absl::Milliseconds(20)));
  std::thread appender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    AppendAll({Event("ITI-18", "p1", 1)});
  });
  EXPECT_TRUE(trail_->WaitBeyond(0, absl::Seconds(10)));
  appender.join();
}

TEST_F(SqliteTrailTest, VerifyDetectsAChangedEvent) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p1", 1001), Event("ITI-42", "p1", 1002)});
  ASSERT_TRUE(Verify().intact());
  // The intruder puts event 3's bytes in place of event 2's.
  Tamper("UPDATE audit_events SET event = (SELECT event FROM audit_events WHERE seq = 3) WHERE seq = 2");
  VerifyAuditResponse verified = Verify();
  EXPECT_FALSE(verified.intact());
  EXPECT_NE(verified.problem().find("event 2"), std::string::npos) << verified.problem();
}

TEST_F(SqliteTrailTest, VerifyDetectsAChangedFieldEvenWithItsOwnHashRecomputedWithoutTheKey) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p1", 1001)});
  // A one-byte change of the stored event (time_ms is varint-encoded near the start).
  Tamper(
      "UPDATE audit_events SET time_ms = 5, event = CAST(replace(CAST(event AS TEXT), 'ITI-18', 'ITI-19') AS BLOB) "
      "WHERE seq = 1");
  EXPECT_FALSE(Verify().intact());
}

TEST_F(SqliteTrailTest, VerifyDetectsARemovedEvent) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p2", 1001), Event("ITI-42", "p1", 1002)});
  Tamper("DELETE FROM audit_events WHERE seq = 2");
  VerifyAuditResponse verified = Verify();
  EXPECT_FALSE(verified.intact());
  EXPECT_NE(verified.problem().find("missing"), std::string::npos) << verified.problem();
}

TEST_F(SqliteTrailTest, VerifyDetectsReorderedEvents) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p2", 1001), Event("ITI-42", "p1", 1002)});
  // Swap rows 1 and 2 entirely (seq renumbered, so no gap; each row's own seq inside the
  // event bytes no longer matches, and the chain breaks).
  Tamper(
      "UPDATE audit_events SET seq = -1 WHERE seq = 1; UPDATE audit_events SET seq = 1 WHERE seq = 2; "
      "UPDATE audit_events SET seq = 2 WHERE seq = -1");
  EXPECT_FALSE(Verify().intact());
}

TEST_F(SqliteTrailTest, VerifyDetectsAHiddenAccessLogEntry) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p1", 1001)});
  Tamper("DELETE FROM audit_patients WHERE seq = 2");
  VerifyAuditResponse verified = Verify();
  EXPECT_FALSE(verified.intact());
  EXPECT_NE(verified.problem().find("index"), std::string::npos) << verified.problem();
}

TEST_F(SqliteTrailTest, VerifyDetectsAChangedAccessLogCopy) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p1", 1001)});
  // The access log's copy of event 2 says it was event 1 (another transaction).
  Tamper("UPDATE audit_patients SET event = (SELECT event FROM audit_events WHERE seq = 1) WHERE seq = 2");
  VerifyAuditResponse verified = Verify();
  EXPECT_FALSE(verified.intact());
  EXPECT_NE(verified.problem().find("differ"), std::string::npos) << verified.problem();
}

TEST_F(SqliteTrailTest, RetentionKeepsTheChainVerifiable) {
  AppendAll({Event("ITI-18", "p1", 1000), Event("ITI-43", "p1", 2000), Event("ITI-42", "p1", 3000),
             Event("ITI-18", "p1", 4000)});
  auto removed = trail_->RemoveBefore(2500);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  VerifyAuditResponse verified = Verify();
  EXPECT_TRUE(verified.intact()) << verified.problem();
  EXPECT_EQ(verified.first_seq(), 3);
  EXPECT_EQ(verified.events(), 2);
  AppendAll({Event("ITI-18", "p1", 5000)});
  EXPECT_TRUE(Verify().intact());
  AuditLogRequest request;
  request.set_patient_id("p1");
  auto log = trail_->ForPatient(request);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->events_size(), 3);
}

TEST_F(SqliteTrailTest, DuplicatePatientIdsOfOneEventAreIndexedOnce) {
  AuditEvent event = Event("ITI-18", "p1", 1000);
  event.add_patient_ids("p1");
  event.add_patient_ids("p2");
  AppendAll({event});
  EXPECT_TRUE(Verify().intact());
  auto events = trail_->ReadAfter(0, 10, true);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ((*events)[0].patient_ids_size(), 2);
}

TEST_F(SqliteTrailTest, KeyedEventsAreKeptOnceAndStayOwn) {
  std::vector<AuditEvent> events = {Event("ITI-42", "P1", 1000)};
  std::vector<std::string> keys = {"outbox:7"};
  auto first = trail_->AppendKeyed(events, &keys);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->accepted(), 1);
  Reopen();  // the key is durable, not a memory of this process
  events = {Event("ITI-42", "P1", 1000)};
  auto again = trail_->AppendKeyed(events, &keys);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->duplicates(), 1);
  EXPECT_EQ(trail_->LastSeq(), 1);
  auto own = trail_->ReadAfter(0, 10, /*own_only=*/true);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->size(), 1u);
  EXPECT_TRUE(Verify().intact());
}

}  // namespace
}  // namespace xds::audit
