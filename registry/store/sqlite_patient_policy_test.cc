// The patient policy in the SQLite metadata store (schema version 3): the consent desk's
// changes, refusals that leave nothing behind, concurrent grants, reopen and the upgrade of a
// version 2 store.
#include <sqlite3.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "registry/store/metadata_store.h"
#include "registry/store/sqlite_schema.h"
#include "registry/store/store_test_util.h"

namespace xds {
namespace {

using testing::FreshDbPath;
using testing::kPatient1;
using testing::kPatient2;
using testing::OpenStore;
using Kind = PolicyChange::Kind;

policy::Subject Org(const std::string& id) { return {policy::Subject::Kind::kOrganization, id}; }
policy::Subject Professional(const std::string& id) { return {policy::Subject::Kind::kProfessional, id}; }

PolicyChange Grant(const std::string& patient, const policy::Subject& subject, const std::string& category = "*",
                   policy::Effect effect = policy::Effect::kPermit) {
  PolicyChange c;
  c.kind = Kind::kAddRule;
  c.patient_id = patient;
  c.rule.effect = effect;
  c.rule.subject = subject;
  c.rule.data_category = category;
  return c;
}

PolicyChange About(Kind kind, const std::string& patient, const policy::Subject& subject, int64_t at = 0) {
  PolicyChange c;
  c.kind = kind;
  c.patient_id = patient;
  c.subject = subject;
  c.at_ms = at;
  return c;
}

PolicyChange RevokeRule(const std::string& patient, const std::string& id) {
  PolicyChange c;
  c.kind = Kind::kRevokeRule;
  c.patient_id = patient;
  c.rule_id = id;
  return c;
}

std::vector<std::string> RuleIds(const policy::PatientPolicy& p) {
  std::vector<std::string> ids;
  for (const auto& r : p.rules) ids.push_back(r.id);
  return ids;
}

TEST(PatientPolicyStoreTest, RulesAddedOnceAndRevokedByIdOrSubject) {
  auto store = OpenStore(FreshDbPath("policy-rules"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());

  auto first = store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.2")));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->changed);
  ASSERT_EQ(first->rule_ids.size(), 1u);
  // The same rule again (a desk retrying) is kept once, under its first id.
  auto again = store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.2")));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->rule_ids, first->rule_ids);

  PolicyChange windowed = Grant(kPatient1, Org("2.999.5.3"), "newborn");
  windowed.rule.valid_from = 1000;
  windowed.rule.valid_to = 2000;
  ASSERT_TRUE(store->ChangePatientPolicy(windowed).ok());
  ASSERT_TRUE(store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.3"), "pregnancy")).ok());
  auto deny = store->ChangePatientPolicy(
      Grant(kPatient1, {policy::Subject::Kind::kAny, ""}, "psychosocial", policy::Effect::kDeny));
  ASSERT_TRUE(deny.ok());

  auto p = store->PatientPolicyOf(kPatient1);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rules.size(), 4u);
  EXPECT_EQ(p->patient_id, kPatient1);
  const policy::ConsentRule& w = p->rules[1];
  EXPECT_EQ(w.subject, Org("2.999.5.3"));
  EXPECT_EQ(w.data_category, "newborn");
  EXPECT_EQ(w.valid_from, 1000);
  EXPECT_EQ(w.valid_to, 2000);
  EXPECT_EQ(w.source, policy::RuleSource::kDesk);
  EXPECT_EQ(p->rules[3].effect, policy::Effect::kDeny);
  EXPECT_EQ(p->rules[3].subject.kind, policy::Subject::Kind::kAny);

  // Revoke by subject and data category: only that rule of the subject goes.
  PolicyChange narrow = About(Kind::kRevokeSubject, kPatient1, Org("2.999.5.3"));
  narrow.data_category = "pregnancy";
  auto revoked = store->ChangePatientPolicy(narrow);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->rule_ids, std::vector<std::string>{p->rules[2].id});
  EXPECT_EQ(RuleIds(revoked->policy), (std::vector<std::string>{p->rules[0].id, p->rules[1].id, p->rules[3].id}));

  // By id; the id is never given out again.
  ASSERT_TRUE(store->ChangePatientPolicy(RevokeRule(kPatient1, first->rule_ids[0])).ok());
  auto gone = store->ChangePatientPolicy(RevokeRule(kPatient1, first->rule_ids[0]));
  EXPECT_TRUE(absl::IsNotFound(gone.status())) << gone.status();
  auto regranted = store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.2")));
  ASSERT_TRUE(regranted.ok());
  EXPECT_NE(regranted->rule_ids, first->rule_ids);

  // Nothing to revoke, a malformed id, another patient's rule: NotFound, nothing changed.
  ASSERT_TRUE(store->AddPatient(kPatient2).ok());
  EXPECT_TRUE(
      absl::IsNotFound(store->ChangePatientPolicy(About(Kind::kRevokeSubject, kPatient1, Org("9.9"))).status()));
  EXPECT_TRUE(absl::IsNotFound(store->ChangePatientPolicy(RevokeRule(kPatient1, "x7")).status()));
  EXPECT_TRUE(absl::IsNotFound(store->ChangePatientPolicy(RevokeRule(kPatient2, p->rules[1].id)).status()));
  auto after = store->PatientPolicyOf(kPatient1);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->rules.size(), 3u);
  auto other = store->PatientPolicyOf(kPatient2);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->rules.empty());
}

TEST(PatientPolicyStoreTest, RelationshipsAndExclusionsKeepTheirHistory) {
  auto store = OpenStore(FreshDbPath("policy-relationships"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());

  auto started = store->ChangePatientPolicy(About(Kind::kStartRelationship, kPatient1, Professional("dr-a"), 100));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(started->changed);
  // Already ongoing: nothing changes.
  auto twice = store->ChangePatientPolicy(About(Kind::kStartRelationship, kPatient1, Professional("dr-a"), 150));
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice->changed);
  auto ended = store->ChangePatientPolicy(About(Kind::kEndRelationship, kPatient1, Professional("dr-a"), 200));
  ASSERT_TRUE(ended.ok()) << ended.status();
  ASSERT_EQ(ended->policy.relationships.size(), 1u);
  EXPECT_EQ(ended->policy.relationships[0].start, 100);
  EXPECT_EQ(ended->policy.relationships[0].end, 200);
  EXPECT_TRUE(absl::IsNotFound(
      store->ChangePatientPolicy(About(Kind::kEndRelationship, kPatient1, Professional("dr-a"), 300)).status()));
  // A new one after the end is a second row: the first stays as history.
  ASSERT_TRUE(store->ChangePatientPolicy(About(Kind::kStartRelationship, kPatient1, Professional("dr-a"), 400)).ok());

  ASSERT_TRUE(store->ChangePatientPolicy(About(Kind::kExclude, kPatient1, Org("2.999.6.6"), 500)).ok());
  auto excluded_twice = store->ChangePatientPolicy(About(Kind::kExclude, kPatient1, Org("2.999.6.6"), 510));
  ASSERT_TRUE(excluded_twice.ok());
  EXPECT_FALSE(excluded_twice->changed);
  EXPECT_TRUE(absl::IsNotFound(
      store->ChangePatientPolicy(About(Kind::kUnexclude, kPatient1, Professional("dr-a"), 600)).status()));
  auto lifted = store->ChangePatientPolicy(About(Kind::kUnexclude, kPatient1, Org("2.999.6.6"), 600));
  ASSERT_TRUE(lifted.ok());

  auto p = store->PatientPolicyOf(kPatient1);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->relationships.size(), 2u);
  EXPECT_EQ(p->relationships[1].start, 400);
  EXPECT_EQ(p->relationships[1].end, 0);
  ASSERT_EQ(p->exclusions.size(), 1u);
  EXPECT_EQ(p->exclusions[0].subject, Org("2.999.6.6"));
  EXPECT_EQ(p->exclusions[0].valid_from, 500);
  EXPECT_EQ(p->exclusions[0].valid_to, 600);
}

TEST(PatientPolicyStoreTest, UnknownPatientRefusedAndNothingWritten) {
  const std::string path = FreshDbPath("policy-unknown");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  for (const PolicyChange& c : {Grant(kPatient1, Org("1")), About(Kind::kStartRelationship, kPatient1, Org("1"), 1),
                                About(Kind::kExclude, kPatient1, Org("1"), 1)}) {
    AuditEvent event;
    event.add_patient_ids(kPatient1);
    auto r = store->ChangePatientPolicy(c, &event);
    EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
    EXPECT_EQ(event.seq(), 0) << "a refused change is not recorded as done";
  }
  EXPECT_TRUE(absl::IsNotFound(store->PatientPolicyOf(kPatient1).status()));
  // Admitting her later shows an empty policy: the refusals left no rows behind.
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  auto p = store->PatientPolicyOf(kPatient1);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->rules.empty());
  EXPECT_TRUE(p->relationships.empty());
  EXPECT_TRUE(p->exclusions.empty());
}

TEST(PatientPolicyStoreTest, AuditEventCommittedWithTheChange) {
  auto store = OpenStore(FreshDbPath("policy-audit"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  AuditEvent event;
  event.set_transaction("ConsentGrant");
  event.add_patient_ids(kPatient1);
  event.set_detail("permit organization:2.999.5.2 data category *");
  bool committed = false;
  auto r = store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.2")), &event, &committed);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(committed);  // in the outbox; ForPatient moves it first
  EXPECT_EQ(event.detail(), "permit organization:2.999.5.2 data category * (rule " + r->rule_ids[0] + ")");
  AuditLogRequest request;
  request.set_patient_id(kPatient1);
  auto log = store->audit_trail().ForPatient(request);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->events_size(), 1);
  EXPECT_EQ(log->events(0).transaction(), "ConsentGrant");
  EXPECT_EQ(log->events(0).detail(), event.detail());
}

TEST(PatientPolicyStoreTest, ConcurrentGrantsAreAllKept) {
  auto store = OpenStore(FreshDbPath("policy-concurrent"), /*max_group=*/16);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r =
            store->ChangePatientPolicy(Grant(kPatient1, Org("2.999." + std::to_string(t) + "." + std::to_string(i))));
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_TRUE(r->changed);
        ids[t].push_back(r->rule_ids.at(0));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach)) << "every grant has an id of its own";
  auto p = store->PatientPolicyOf(kPatient1);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rules.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(PatientPolicyStoreTest, PolicySurvivesReopen) {
  const std::string path = FreshDbPath("policy-reopen");
  std::string rule_id;
  {
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddPatient(kPatient1).ok());
    auto r = store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.2"), "pregnancy"));
    ASSERT_TRUE(r.ok());
    rule_id = r->rule_ids[0];
    ASSERT_TRUE(store->ChangePatientPolicy(About(Kind::kStartRelationship, kPatient1, Org("2.999.5.2"), 7)).ok());
    ASSERT_TRUE(store->ChangePatientPolicy(About(Kind::kExclude, kPatient1, Professional("dr-x"), 8)).ok());
  }
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  auto p = store->PatientPolicyOf(kPatient1);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rules.size(), 1u);
  EXPECT_EQ(p->rules[0].id, rule_id);
  EXPECT_EQ(p->rules[0].data_category, "pregnancy");
  ASSERT_EQ(p->relationships.size(), 1u);
  EXPECT_EQ(p->relationships[0].start, 7);
  ASSERT_EQ(p->exclusions.size(), 1u);
  EXPECT_EQ(p->exclusions[0].subject, Professional("dr-x"));
}

// A store written by the previous build (schema version 2, patients admitted) opens with the
// policy tables added and its patients able to carry consent at once.
TEST(PatientPolicyStoreTest, VersionTwoStoreIsUpgraded) {
  const std::string path = FreshDbPath("policy-v2");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(sqlite3_exec(db, sqlite::Migrations()[i].c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
  }
  const std::string seed =
      std::string("PRAGMA user_version = 2; INSERT INTO patients (id) VALUES ('") + kPatient1 + "');";
  ASSERT_EQ(sqlite3_exec(db, seed.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  {
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    auto known = store->PatientKnown(kPatient1);
    ASSERT_TRUE(known.ok());
    EXPECT_TRUE(*known);
    auto empty = store->PatientPolicyOf(kPatient1);
    ASSERT_TRUE(empty.ok()) << empty.status();
    EXPECT_TRUE(empty->rules.empty());
    ASSERT_TRUE(store->ChangePatientPolicy(Grant(kPatient1, Org("2.999.5.2"))).ok());
  }
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), static_cast<int64_t>(sqlite::Migrations().size()));  // every later one too
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace xds
