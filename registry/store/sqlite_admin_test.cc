// Stats and online backup of the SQLite metadata store.
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "registry/store/metadata_store.h"
#include "registry/store/store_test_util.h"

namespace xds::testing {
namespace {

int64_t Count(const std::vector<std::pair<std::string, int64_t>>& counts, const std::string& key) {
  for (const auto& [k, n] : counts)
    if (k == key) return n;
  return 0;
}

TEST(SqliteAdminTest, StatsCountPerStatusClassAndRepository) {
  std::string path = FreshDbPath("stats");
  auto store = OpenStore(path);
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  ASSERT_TRUE(store->AddPatient(kPatient2).ok());
  for (int i = 0; i < 3; ++i) {
    WritePlan plan = SimplePlan("s" + std::to_string(i), "1.9." + std::to_string(i));
    if (i == 2) {
      plan.submission.mutable_document_entries(0)->set_repository_unique_id("9.9.9");
      *plan.submission.mutable_document_entries(0)->mutable_class_code() = MakeCode("other", "7.7");
    }
    auto r = store->Submit(plan, AcceptAll());
    ASSERT_TRUE(r.ok() && r->empty());
  }
  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->patients, 2);
  EXPECT_EQ(Count(stats->document_entries_by_status, "Approved"), 3);
  EXPECT_EQ(Count(stats->submission_sets_by_status, "Approved"), 3);
  EXPECT_EQ(stats->associations, 3);
  EXPECT_EQ(Count(stats->document_entries_by_class_code, "class-A^^1.1"), 2);
  EXPECT_EQ(Count(stats->document_entries_by_class_code, "other^^7.7"), 1);
  EXPECT_EQ(Count(stats->document_entries_by_repository, "1.2.3.4.5"), 2);
  EXPECT_EQ(Count(stats->document_entries_by_repository, "9.9.9"), 1);
  EXPECT_GT(stats->store_bytes, 0);
}

TEST(SqliteAdminTest, BackupWhileSubmittingIsConsistentAndNeverOverwrites) {
  std::string path = FreshDbPath("backup_src");
  auto store = OpenStore(path);
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> submitted{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      WritePlan plan = SimplePlan("w" + std::to_string(i), "1.8." + std::to_string(i));
      *plan.submission.add_document_entries() =
          MakeDe("urn:uuid:w" + std::to_string(i) + "-de2", kPatient1, "1.3.w" + std::to_string(i));
      *plan.submission.add_associations() =
          MakeAssoc("urn:uuid:w" + std::to_string(i) + "-as2", kMember, "urn:uuid:w" + std::to_string(i) + "-ss",
                    "urn:uuid:w" + std::to_string(i) + "-de2");
      auto r = store->Submit(plan, AcceptAll());
      if (r.ok() && r->empty()) ++submitted;
    }
  });
  while (submitted < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string copy = FreshDbPath("backup_copy");
  absl::Status s = store->Backup(copy);
  int during = submitted;
  while (submitted < during + 10) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  writer.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));
  EXPECT_EQ(store->Backup(copy).code(), absl::StatusCode::kAlreadyExists);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(copy.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto query_int = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
      v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  };
  int64_t sets = query_int("SELECT COUNT(*) FROM submission_sets");
  EXPECT_GE(sets, 20);
  EXPECT_LT(sets, submitted.load());  // a snapshot, not the final state
  // Whole submissions only: two DocumentEntries and two associations per SubmissionSet.
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM document_entries"), 2 * sets);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM associations"), 2 * sets);
  sqlite3_stmt* check = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(db);

  // The copy opens as a store of its own.
  auto restored = OpenStore(copy);
  ASSERT_NE(restored, nullptr);
  auto known = restored->PatientKnown(kPatient1);
  EXPECT_TRUE(known.ok() && *known);
}

}  // namespace
}  // namespace xds::testing
