// Submission, concurrency, durability and query-plan tests of the SQLite metadata store,
// on real database files under TEST_TMPDIR. Filter semantics: sqlite_store_filters_test.cc.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "registry/shared/audit/sqlite_trail.h"
#include "registry/store/metadata_store.h"
#include "registry/store/sqlite_queries.h"
#include "registry/store/sqlite_schema.h"
#include "registry/store/store_test_util.h"

namespace xds {
namespace {

using google::protobuf::util::MessageDifferencer;
using namespace xds::testing;  // NOLINT: test builders

int64_t Count(MetadataStore& store, ObjectKind kind) {
  absl::StatusOr<int64_t> n = store.CountObjects(kind);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : -1;
}

// ITI-62 and ITI-57 write through Submit too: a plan's removals take every row of the
// objects with them (codes, authors, reference ids), its status changes reach column and
// blob, and a refused plan changes nothing.
TEST(SqliteMetadataStoreTest, PlansRemoveObjectsAndChangeStatuses) {
  auto store = OpenStore(FreshDbPath("lifecycle"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Submit(SimplePlan("a", "1.2.a"), AcceptAll()).ok());
  ASSERT_TRUE(store->Submit(SimplePlan("b", "1.2.b"), AcceptAll()).ok());

  WritePlan refused;
  refused.remove_uuids = {"urn:uuid:a-ss", "urn:uuid:a-de", "urn:uuid:a-as"};
  auto no = store->Submit(refused, [](RegistryView&, WritePlan*) {
    RegistryError e;
    e.set_code("ReferencesExistException");
    return std::vector<RegistryError>{e};
  });
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->size(), 1u);
  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 2);

  WritePlan remove;
  remove.remove_uuids = refused.remove_uuids;
  remove.status_changes = {{"urn:uuid:b-de", DEPRECATED}};
  auto yes = store->Submit(remove, AcceptAll());
  ASSERT_TRUE(yes.ok() && yes->empty());
  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), 1);
  DocumentEntryFilter by_code;
  by_code.patient_ids = {kPatient1};
  by_code.statuses = {APPROVED, DEPRECATED};
  by_code.confidentiality_codes_all = {{{"N", "2.16.840.1.113883.5.25"}}};
  auto left = store->FindDocumentEntries(by_code);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);  // a-de's confidentiality code went with it
  EXPECT_EQ((*left)[0].header().entry_uuid(), "urn:uuid:b-de");
  EXPECT_EQ((*left)[0].header().status(), DEPRECATED);  // the stored object too
  by_code.statuses = {APPROVED};
  EXPECT_TRUE(UuidsOf(store->FindDocumentEntries(by_code)).empty());  // and the column
}

TEST(SqliteMetadataStoreTest, SubmitAndReadBackFullObjects) {
  auto store = OpenStore(FreshDbPath("readback"));
  ASSERT_NE(store, nullptr);
  WritePlan plan = SimplePlan("a", "1.2.ss.a");
  DocumentEntry& de = *plan.submission.mutable_document_entries(0);
  de.add_reference_ids("ref-1^^^&1.2&ISO");
  Author* author = de.add_authors();
  author->set_person("^Welby^Marcus");
  author->add_institutions("Hospital");
  Slot* slot = de.mutable_header()->add_extra_slots();
  slot->set_name("urn:example:slot");
  slot->add_values("v1");
  *de.add_event_codes() = MakeCode("ev-1", "5.1");
  *plan.submission.add_folders() = MakeFolder("urn:uuid:a-fd", kPatient1, "1.2.fd.a");
  const Submission sent = plan.submission;

  absl::StatusOr<std::vector<RegistryError>> result = store->Submit(plan, AcceptAll());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->empty());

  DocumentEntryFilter f;
  f.patient_ids = {kPatient1};
  absl::StatusOr<std::vector<DocumentEntry>> des = store->FindDocumentEntries(f);
  ASSERT_TRUE(des.ok()) << des.status();
  ASSERT_EQ(des->size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals((*des)[0], sent.document_entries(0)));

  PackageFilter pf;
  pf.patient_ids = {kPatient1};
  absl::StatusOr<std::vector<SubmissionSet>> sss = store->FindSubmissionSets(pf);
  ASSERT_TRUE(sss.ok());
  ASSERT_EQ(sss->size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals((*sss)[0], sent.submission_sets(0)));
  absl::StatusOr<std::vector<Folder>> fds = store->FindFolders(pf);
  ASSERT_TRUE(fds.ok());
  ASSERT_EQ(fds->size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals((*fds)[0], sent.folders(0)));
  absl::StatusOr<std::vector<Association>> as = store->FindAssociations({"urn:uuid:a-ss"}, {});
  ASSERT_TRUE(as.ok());
  ASSERT_EQ(as->size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals((*as)[0], sent.associations(0)));

  absl::StatusOr<std::vector<StoredObjectInfo>> infos =
      store->FindObjects({"urn:uuid:a-de", "urn:uuid:a-ss", "urn:uuid:a-fd", "urn:uuid:a-as", "urn:uuid:nope"});
  ASSERT_TRUE(infos.ok()) << infos.status();
  ASSERT_EQ(infos->size(), 4u);
  for (const StoredObjectInfo& info : *infos) {
    EXPECT_EQ(info.status, APPROVED);
    if (info.entry_uuid == "urn:uuid:a-de") {
      EXPECT_EQ(info.kind, ObjectKind::kDocumentEntry);
      EXPECT_EQ(info.patient_id, kPatient1);
      EXPECT_EQ(info.document_type, STABLE);
    } else if (info.entry_uuid == "urn:uuid:a-ss") {
      EXPECT_EQ(info.kind, ObjectKind::kSubmissionSet);
      EXPECT_EQ(info.patient_id, kPatient1);
    } else if (info.entry_uuid == "urn:uuid:a-fd") {
      EXPECT_EQ(info.kind, ObjectKind::kFolder);
    } else {
      EXPECT_EQ(info.entry_uuid, "urn:uuid:a-as");
      EXPECT_EQ(info.kind, ObjectKind::kAssociation);
      EXPECT_EQ(info.patient_id, "");
    }
  }
  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kFolder), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), 1);
}

TEST(SqliteMetadataStoreTest, RefusedSubmissionLeavesNothingBehind) {
  auto store = OpenStore(FreshDbPath("refused"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Submit(SimplePlan("ok", "1.2.ok"), AcceptAll()).ok());

  WritePlan plan = SimplePlan("bad", "1.2.bad");
  *plan.submission.add_folders() = MakeFolder("urn:uuid:bad-fd", kPatient1, "1.2.fd.bad");
  plan.deprecate_uuids = {"urn:uuid:ok-de"};
  auto refuse = [](RegistryView&, WritePlan*) {
    RegistryError e;
    e.set_code("XDSUnknownPatientId");
    return std::vector<RegistryError>{e};
  };
  absl::StatusOr<std::vector<RegistryError>> result = store->Submit(plan, refuse);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].code(), "XDSUnknownPatientId");

  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kFolder), 0);
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), 1);
  absl::StatusOr<std::vector<StoredObjectInfo>> ok_de = store->FindObjects({"urn:uuid:ok-de"});
  ASSERT_TRUE(ok_de.ok());
  ASSERT_EQ(ok_de->size(), 1u);
  EXPECT_EQ((*ok_de)[0].status, APPROVED);  // the refused plan's deprecation was not applied
}

TEST(SqliteMetadataStoreTest, GroupCommitsAcceptedAndDropsRefused) {
  auto store = OpenStore(FreshDbPath("group"));
  ASSERT_NE(store, nullptr);
  // Slow first check so that the other submissions queue up and commit as one group.
  std::thread opener([&] {
    auto slow = [](RegistryView&, WritePlan*) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return std::vector<RegistryError>();
    };
    EXPECT_TRUE(store->Submit(SimplePlan("opener", "1.2.opener"), slow).ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto check = [](RegistryView&, WritePlan* plan) {
    std::vector<RegistryError> errors;
    if (plan->submission.submission_sets(0).unique_id() == "1.2.t7")
      errors.emplace_back().set_code("XDSRegistryMetadataError");
    return errors;
  };
  std::vector<std::thread> threads;
  std::vector<size_t> error_counts(16, 99);
  std::vector<bool> ok(16, false);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<std::vector<RegistryError>> r =
          store->Submit(SimplePlan("t" + std::to_string(i), "1.2.t" + std::to_string(i)), check);
      ok[i] = r.ok();
      if (r.ok()) error_counts[i] = r->size();
    });
  }
  for (auto& t : threads) t.join();
  opener.join();
  for (int i = 0; i < 16; ++i) {
    EXPECT_TRUE(ok[i]) << i;
    EXPECT_EQ(error_counts[i], i == 7 ? 1u : 0u) << i;
  }
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 16);  // 15 + opener
  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 16);
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), 16);
  absl::StatusOr<std::vector<StoredObjectInfo>> bad = store->FindObjects({"urn:uuid:t7-ss", "urn:uuid:t7-de"});
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->empty());
}

TEST(SqliteMetadataStoreTest, CheckSeesEarlierSubmissionOfSameGroup) {
  auto store = OpenStore(FreshDbPath("samegroup"));
  ASSERT_NE(store, nullptr);
  std::thread opener([&] {
    auto slow = [](RegistryView&, WritePlan*) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return std::vector<RegistryError>();
    };
    EXPECT_TRUE(store->Submit(SimplePlan("opener", "1.2.opener"), slow).ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Both queue behind the opener, so both are checked inside the same group transaction.
  std::vector<size_t> errors(2, 99);
  std::atomic<bool> loser_saw_committed{true};
  std::vector<std::thread> racers;
  for (int i = 0; i < 2; ++i) {
    racers.emplace_back([&, i] {
      SubmissionCheck refuse = RefuseDuplicateSsUniqueId();
      auto check = [&, refuse](RegistryView& view, WritePlan* plan) {
        std::vector<RegistryError> errors = refuse(view, plan);
        if (!errors.empty()) {
          // The winner is visible through the view but not yet committed for readers:
          // proof that the loser was checked inside the winner's group transaction.
          PackageFilter pf;
          pf.unique_ids = {"1.2.same-ss-unique-id"};
          absl::StatusOr<std::vector<SubmissionSet>> committed = store->FindSubmissionSets(pf);
          loser_saw_committed = !committed.ok() || !committed->empty();
        }
        return errors;
      };
      absl::StatusOr<std::vector<RegistryError>> r =
          store->Submit(SimplePlan("dup" + std::to_string(i), "1.2.same-ss-unique-id"), check);
      ASSERT_TRUE(r.ok()) << r.status();
      errors[i] = r->size();
    });
  }
  for (auto& t : racers) t.join();
  opener.join();
  EXPECT_EQ(errors[0] + errors[1], 1u);
  EXPECT_TRUE(errors[0] == 0 || errors[1] == 0);
  EXPECT_FALSE(loser_saw_committed);
  PackageFilter pf;
  pf.unique_ids = {"1.2.same-ss-unique-id"};
  EXPECT_EQ(UuidsOf(store->FindSubmissionSets(pf)).size(), 1u);
  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 2);  // opener + winner
}

TEST(SqliteMetadataStoreTest, DeprecationAndFolderLastUpdateTimeApplied) {
  auto store = OpenStore(FreshDbPath("deprecate"));
  ASSERT_NE(store, nullptr);
  WritePlan first = SimplePlan("v1", "1.2.v1");
  *first.submission.add_folders() = MakeFolder("urn:uuid:fd", kPatient1, "1.2.fd");
  ASSERT_TRUE(store->Submit(first, AcceptAll()).ok());

  WritePlan second = SimplePlan("v2", "1.2.v2");
  *second.submission.add_associations() = MakeAssoc("urn:uuid:rplc", kReplace, "urn:uuid:v2-de", "urn:uuid:v1-de");
  // The check decides what is deprecated/touched, as the RPLC rules do.
  auto check = [](RegistryView& view, WritePlan* plan) {
    absl::StatusOr<std::vector<StoredObjectInfo>> target = view.FindObjects({"urn:uuid:v1-de"});
    if (target.ok() && target->size() == 1) plan->deprecate_uuids.push_back("urn:uuid:v1-de");
    plan->touched_folder_uuids.push_back("urn:uuid:fd");
    plan->last_update_time = "20240102030405";
    return std::vector<RegistryError>();
  };
  absl::StatusOr<std::vector<RegistryError>> result = store->Submit(second, check);
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result->empty());

  DocumentEntryFilter f;
  f.entry_uuids = {"urn:uuid:v1-de"};
  absl::StatusOr<std::vector<DocumentEntry>> old = store->FindDocumentEntries(f);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].header().status(), DEPRECATED);  // blob
  f.statuses = {APPROVED};
  EXPECT_TRUE(UuidsOf(store->FindDocumentEntries(f)).empty());  // column
  f.statuses = {DEPRECATED};
  EXPECT_EQ(UuidsOf(store->FindDocumentEntries(f)).size(), 1u);
  absl::StatusOr<std::vector<StoredObjectInfo>> info = store->FindObjects({"urn:uuid:v1-de", "urn:uuid:v2-de"});
  ASSERT_TRUE(info.ok());
  for (const StoredObjectInfo& i : *info) EXPECT_EQ(i.status, i.entry_uuid == "urn:uuid:v1-de" ? DEPRECATED : APPROVED);

  PackageFilter pf;
  pf.entry_uuids = {"urn:uuid:fd"};
  absl::StatusOr<std::vector<Folder>> fd = store->FindFolders(pf);
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(fd->size(), 1u);
  EXPECT_EQ((*fd)[0].last_update_time(), "20240102030405");
  pf.time_from = "20240102030405";
  EXPECT_EQ(UuidsOf(store->FindFolders(pf)).size(), 1u);  // column moved too
  pf.time_from = "20240102030406";
  EXPECT_TRUE(UuidsOf(store->FindFolders(pf)).empty());
}

TEST(SqliteMetadataStoreTest, DuplicateEntryUuidFailsOnlyThatSubmission) {
  auto store = OpenStore(FreshDbPath("dupuuid"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Submit(SimplePlan("x", "1.2.x"), AcceptAll()).ok());
  // Same entryUUIDs, a check that does not look: the primary key refuses it as a whole.
  absl::StatusOr<std::vector<RegistryError>> again = store->Submit(SimplePlan("x", "1.2.x2"), AcceptAll());
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 1);
  EXPECT_EQ(Count(*store, ObjectKind::kDocumentEntry), 1);
  ASSERT_TRUE(store->Submit(SimplePlan("y", "1.2.y"), AcceptAll()).ok());
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 2);
}

TEST(SqliteMetadataStoreTest, PatientIndex) {
  auto store = OpenStore(FreshDbPath("patients"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->PatientKnown(kPatient1).value(), false);
  EXPECT_EQ(store->AddPatient(kPatient1).value(), true);
  EXPECT_EQ(store->AddPatient(kPatient1).value(), false);
  EXPECT_EQ(store->AddPatient(kPatient2).value(), true);
  EXPECT_EQ(store->PatientKnown(kPatient1).value(), true);
  EXPECT_EQ(store->ListPatients().value(), (std::vector<std::string>{kPatient1, kPatient2}));
  // The check sees the patient index.
  auto check = [](RegistryView& view, WritePlan* plan) {
    std::vector<RegistryError> errors;
    absl::StatusOr<bool> known = view.PatientKnown(plan->submission.submission_sets(0).patient_id());
    if (!known.ok() || !*known) errors.emplace_back().set_code("XDSUnknownPatientId");
    return errors;
  };
  EXPECT_TRUE(store->Submit(SimplePlan("k", "1.2.k", kPatient2), check).value().empty());
  EXPECT_EQ(store->Submit(SimplePlan("u", "1.2.u", "P9^^^&1.2.3&ISO"), check).value().size(), 1u);
}

TEST(SqliteMetadataStoreTest, DataSurvivesReopen) {
  const std::string path = FreshDbPath("reopen");
  {
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddPatient(kPatient1).ok());
    ASSERT_TRUE(store->Submit(SimplePlan("r", "1.2.r"), AcceptAll()).ok());
  }
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->PatientKnown(kPatient1).value());
  DocumentEntryFilter f;
  f.unique_ids = {"1.2.r.de"};
  EXPECT_EQ(UuidsOf(store->FindDocumentEntries(f)), (std::set<std::string>{"urn:uuid:r-de"}));
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), 1);
  // Reopening must not re-run migrations over existing data.
  ASSERT_TRUE(store->Submit(SimplePlan("s", "1.2.s"), AcceptAll()).ok());
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), 2);
}

TEST(SqliteMetadataStoreTest, SchemaVersionRecordedAndNewerVersionRefused) {
  const std::string path = FreshDbPath("version");
  { ASSERT_NE(OpenStore(path), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), static_cast<int64_t>(sqlite::Migrations().size()));
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  SqliteOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<MetadataStore>> store = OpenSqliteMetadataStore(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

// EXPLAIN QUERY PLAN rows (detail column) for `q` against the database at `path`.
std::vector<std::string> PlanOf(const std::string& path, const sqlite::Query& q) {
  std::vector<std::string> details;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = "EXPLAIN QUERY PLAN " + q.sql;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  for (size_t i = 0; i < q.params.size(); ++i) {
    if (const auto* s = std::get_if<std::string>(&q.params[i])) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), s->c_str(), -1, SQLITE_TRANSIENT);
    } else if (const auto* n = std::get_if<int64_t>(&q.params[i])) {
      sqlite3_bind_int64(stmt, static_cast<int>(i + 1), *n);
    }
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    details.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return details;
}

// `covering`: the index alone answers (ObjectRef lookups, which need only ids).
void ExpectIndexedSearch(const std::vector<std::string>& plan, const std::string& index, bool covering = false) {
  const std::string search = std::string("SEARCH de USING ") + (covering ? "COVERING " : "") + "INDEX " + index + " ";
  std::string all;
  bool uses_index = false;
  for (const std::string& d : plan) {
    all += d + "\n";
    EXPECT_NE(d.rfind("SCAN de", 0), 0u) << "full scan of document_entries:\n" << d;
    // Rows are sorted in C++; a temporary B-tree per query made the SELECT alone 3x slower.
    EXPECT_EQ(d.find("TEMP B-TREE"), std::string::npos) << d;
    if (d.rfind(search, 0) == 0) uses_index = true;
  }
  EXPECT_TRUE(uses_index) << "expected " << search << "in plan:\n" << all;
  std::printf("[plan]\n%s", all.c_str());
}

TEST(SqliteMetadataStoreTest, FindDocumentsAnswersInRegistrationOrder) {
  // Class codes registered out of order: the de_class index returns the rows in code order,
  // and answers must still come in registration order.
  const std::vector<int> codes = {5, 2, 6, 0, 3, 1, 4};
  auto store = OpenStore(FreshDbPath("order"));
  ASSERT_NE(store, nullptr);
  std::vector<std::string> registered;
  for (int i = 0; i < 7; ++i) {
    std::string n = std::to_string(i);
    WritePlan plan = SimplePlan("order" + n, "1.2.order" + n);
    *plan.submission.mutable_document_entries(0)->mutable_class_code() =
        MakeCode("class-" + std::to_string(codes[i]), "1.1");
    registered.push_back(plan.submission.document_entries(0).header().entry_uuid());
    ASSERT_TRUE(store->Submit(plan, AcceptAll()).ok());
  }
  DocumentEntryFilter f;
  f.patient_ids = {kPatient1};
  f.statuses = {APPROVED};
  for (int code : codes) f.class_codes.push_back({"class-" + std::to_string(code), "1.1"});
  for (bool ids_only : {false, true}) {
    f.ids_only = ids_only;
    absl::StatusOr<std::vector<DocumentEntry>> found = store->FindDocumentEntries(f);
    ASSERT_TRUE(found.ok()) << found.status();
    std::vector<std::string> uuids;
    for (const DocumentEntry& de : *found) uuids.push_back(de.header().entry_uuid());
    EXPECT_EQ(uuids, registered) << "ids_only=" << ids_only;
    if (!ids_only) {
      for (size_t i = 0; i < found->size(); ++i) {
        EXPECT_EQ((*found)[i].class_code().code(), "class-" + std::to_string(codes[i]));
      }
    }
  }
}

TEST(SqliteMetadataStoreTest, FindDocumentsHotQueriesUseIndexes) {
  const std::string path = FreshDbPath("plan");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->Submit(SimplePlan("p" + std::to_string(i), "1.2.p" + std::to_string(i)), AcceptAll()).ok());
  }
  DocumentEntryFilter f;
  f.patient_ids = {kPatient1};
  f.statuses = {APPROVED};
  f.class_codes = {{"class-A", "1.1"}};
  ExpectIndexedSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(f)), "de_class");
  f.types = {STABLE};  // what ITI-18 adds by default
  f.ids_only = true;   // ObjectRef
  ExpectIndexedSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(f)), "de_class", /*covering=*/true);
  f.ids_only = false;
  f.statuses = {APPROVED, DEPRECATED};
  f.class_codes = {{"class-A", "1.1"}, {"class-B", "1.1"}};
  f.limit = 100;
  ExpectIndexedSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(f)), "de_class");
  // Multi-valued code and author constraints probe by owner, not by scanning their tables.
  f.event_codes_all = {{{"ev-1", "5.1"}}, {{"ev-2", "5.1"}, {"ev-3", "5.1"}}};
  f.confidentiality_codes_all = {{{"N", "2.16.840.1.113883.5.25"}}};
  f.author_person_patterns = {"%Welby%"};
  std::vector<std::string> plan = PlanOf(path, sqlite::BuildDocumentEntryQuery(f));
  ExpectIndexedSearch(plan, "de_class");
  for (const std::string& d : plan) {
    EXPECT_EQ(d.find("SCAN c"), std::string::npos) << d;
    EXPECT_EQ(d.find("SCAN a"), std::string::npos) << d;
  }

  DocumentEntryFilter window;
  window.patient_ids = {kPatient1};
  window.statuses = {APPROVED};
  window.creation_from = "20190101000000";
  window.creation_to = "20210101000000";
  ExpectIndexedSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(window)), "de_creation");
  window.statuses = {APPROVED, DEPRECATED};
  window.limit = 10;
  ExpectIndexedSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(window)), "de_creation");
  window.types = {STABLE, ON_DEMAND};
  window.ids_only = true;
  ExpectIndexedSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(window)), "de_creation", /*covering=*/true);
}

// A store left at schema version 1 (an earlier build's file, here made by applying only the
// first migration to a populated store's data) opens with every later migration applied and
// its data intact.
TEST(SqliteMetadataStoreTest, VersionOneStoreIsUpgraded) {
  const std::string path = FreshDbPath("upgrade");
  const std::string v1_path = FreshDbPath("upgrade-v1");
  {
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Submit(SimplePlan("g", "1.2.g"), AcceptAll()).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(v1_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sqlite::Migrations()[0].c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  const std::string copy =
      "ATTACH '" + path +
      "' AS src;"
      "INSERT INTO patients SELECT * FROM src.patients;"
      "INSERT INTO document_entries SELECT * FROM src.document_entries;"
      "INSERT INTO object_codes SELECT * FROM src.object_codes;"
      "INSERT INTO author_persons SELECT * FROM src.author_persons;"
      "INSERT INTO reference_ids SELECT * FROM src.reference_ids;"
      "INSERT INTO submission_sets SELECT * FROM src.submission_sets;"
      "INSERT INTO folders SELECT entry_uuid, patient_id, status, unique_id, last_update_time, blob "
      "FROM src.folders;"
      "INSERT INTO associations SELECT * FROM src.associations;"
      "DETACH src; PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, copy.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = OpenStore(v1_path);
  ASSERT_NE(store, nullptr);
  DocumentEntryFilter f;
  f.patient_ids = {kPatient1};
  f.statuses = {APPROVED};
  f.class_codes = {{"class-A", "1.1"}};
  f.types = {STABLE};
  f.ids_only = true;
  EXPECT_EQ(UuidsOf(store->FindDocumentEntries(f)), (std::set<std::string>{"urn:uuid:g-de"}));
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), 1);
  ExpectIndexedSearch(PlanOf(v1_path, sqlite::BuildDocumentEntryQuery(f)), "de_class", /*covering=*/true);
}

// Any of the (patient_id, status, ...) composite indexes will do: SQLite picks one by its
// own estimate, but it must search, never scan document_entries.
void ExpectPatientStatusSearch(const std::vector<std::string>& plan) {
  std::string all;
  bool searched = false;
  for (const std::string& d : plan) {
    all += d + "\n";
    EXPECT_NE(d.rfind("SCAN de", 0), 0u) << "full scan of document_entries:\n" << d;
    // Rows are sorted in C++; a temporary B-tree per query made the SELECT alone 3x slower.
    EXPECT_EQ(d.find("TEMP B-TREE"), std::string::npos) << d;
    EXPECT_EQ(d.find("SCAN r"), std::string::npos) << d;
    EXPECT_EQ(d.find("SCAN c"), std::string::npos) << d;
    if (d.rfind("SEARCH de USING INDEX de_", 0) == 0 && d.find("patient_id=? AND status") != std::string::npos) {
      searched = true;
    }
  }
  EXPECT_TRUE(searched) << "expected a (patient_id, status) index search in plan:\n" << all;
  std::printf("[plan]\n%s", all.c_str());
}

// What clinicians' systems send to ITI-18 FindDocuments (the registry always adds the
// objectType, Stable by default): every combination searches an index.
TEST(SqliteMetadataStoreTest, FindDocumentsClinicianCombinationsUseIndexes) {
  const std::string path = FreshDbPath("plan-combos");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->Submit(SimplePlan("c" + std::to_string(i), "1.2.c" + std::to_string(i)), AcceptAll()).ok());
  }
  DocumentEntryFilter base;
  base.patient_ids = {kPatient1};
  base.statuses = {APPROVED};
  base.types = {STABLE};
  base.limit = 1000;
  std::vector<DocumentEntryFilter> filters;
  filters.push_back(base);
  DocumentEntryFilter f = base;
  f.type_codes = {{"type-A", "2.1"}};
  f.creation_from = "20240101000000";
  f.creation_to = "20250101000000";
  filters.push_back(f);
  f.class_codes = {{"class-A", "1.1"}, {"class-B", "1.1"}};
  f.practice_setting_codes = {{"ps-A", "3.1"}};
  filters.push_back(f);
  f.statuses = {APPROVED, DEPRECATED};
  f.healthcare_facility_type_codes = {{"hcft-A", "4.1"}};
  f.format_codes = {{"fmt-A", "5.1"}, {"fmt-B", ""}};
  f.service_start_from = "20240101000000";
  f.service_stop_to = "20250101000000";
  filters.push_back(f);
  f.types = {STABLE, ON_DEMAND};
  f.confidentiality_codes_all = {{{"N", "2.16.840.1.113883.5.25"}, {"R", "2.16.840.1.113883.5.25"}}};
  f.event_codes_all = {{{"ev-1", "5.1"}}, {{"ev-2", "5.1"}}};
  f.author_person_patterns = {"%Welby%", "%Smith%"};
  filters.push_back(f);
  DocumentEntryFilter by_reference = base;  // FindDocumentsByReferenceId
  by_reference.reference_ids_all = {{"ref-1", "ref-2"}, {"ref-3"}};
  filters.push_back(by_reference);
  DocumentEntryFilter patient_window = base;  // the Approved documents of the last year
  patient_window.creation_from = "20240101000000";
  filters.push_back(patient_window);
  for (const DocumentEntryFilter& filter : filters) {
    ExpectPatientStatusSearch(PlanOf(path, sqlite::BuildDocumentEntryQuery(filter)));
  }
}

// Not a benchmark (timing is not asserted): shows that concurrent submitters share commits.
TEST(SqliteMetadataStoreTest, ConcurrentSubmittersShareCommits) {
  auto store = OpenStore(FreshDbPath("throughput"));
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        absl::StatusOr<std::vector<RegistryError>> r =
            store->Submit(SimplePlan("b" + id, "1.2.b." + id), RefuseDuplicateSsUniqueId());
        if (!r.ok() || !r->empty()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0);
  EXPECT_EQ(Count(*store, ObjectKind::kSubmissionSet), kThreads * kPerThread);
  EXPECT_EQ(Count(*store, ObjectKind::kAssociation), kThreads * kPerThread);
  std::printf("[store] %d submissions (1 SS + 1 DE + 1 Association) from %d threads in %.2f s: %.0f/s\n",
              kThreads * kPerThread, kThreads, seconds, kThreads * kPerThread / seconds);
}

// Rows of the outbox (the registration's events not yet in the trail).
int64_t OutboxRows(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit_outbox", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

// Registers one submission with its event while the mover does not run: the state a kill -9
// between the registration's commit and the move leaves.
void RegisterWithoutMove(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  options.move_audit_outbox = false;
  absl::StatusOr<std::unique_ptr<MetadataStore>> store = OpenSqliteMetadataStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  AuditEvent event;
  event.set_transaction("ITI-42");
  event.set_message_id("urn:uuid:outbox-1");
  event.add_patient_ids(kPatient1);
  bool committed = false;
  absl::StatusOr<std::vector<RegistryError>> result =
      (*store)->Submit(SimplePlan("ob", "1.2.ob"), AcceptAll(), &event, &committed);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->empty());
  EXPECT_TRUE(committed);
  EXPECT_EQ((*store)->audit_trail().LastSeq(), 0);
}

// The next start moves it: once, as the registry's own event, the chain intact.
void ExpectMovedOnce(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<MetadataStore>> store = OpenSqliteMetadataStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  audit::Trail& trail = (*store)->audit_trail();
  absl::StatusOr<VerifyAuditResponse> verified = trail.Verify();  // moves the outbox first
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->intact()) << verified->problem();
  absl::StatusOr<std::vector<AuditEvent>> own = trail.ReadAfter(0, 10, /*own_only=*/true);
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].message_id(), "urn:uuid:outbox-1");
  EXPECT_EQ((*own)[0].outcome(), 0);
  EXPECT_EQ((*own)[0].seq(), 1);
  AuditLogRequest request;
  request.set_patient_id(kPatient1);
  absl::StatusOr<AuditLogResponse> log = trail.ForPatient(request);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->events_size(), 1);
  EXPECT_EQ(OutboxRows(path), 0);
}

TEST(SqliteMetadataStoreTest, OutboxEventReachesTheTrailAfterACrashBeforeTheMove) {
  const std::string path = FreshDbPath("outbox");
  RegisterWithoutMove(path);
  EXPECT_EQ(OutboxRows(path), 1);
  ExpectMovedOnce(path);
}

TEST(SqliteMetadataStoreTest, OutboxMoveIsIdempotentAfterACrashBeforeTheDelete) {
  const std::string path = FreshDbPath("outbox-twice");
  RegisterWithoutMove(path);
  {
    // The mover appended the row to the trail, then died before deleting it.
    absl::StatusOr<std::unique_ptr<audit::SqliteTrail>> trail = audit::SqliteTrail::Open(path + ".audit");
    ASSERT_TRUE(trail.ok()) << trail.status();
    std::vector<AuditEvent> events(1);
    events[0].set_transaction("ITI-42");
    events[0].set_message_id("urn:uuid:outbox-1");
    events[0].add_patient_ids(kPatient1);
    std::vector<std::string> keys = {"outbox:1"};
    absl::StatusOr<RecordAuditResponse> appended = (*trail)->AppendKeyed(events, &keys);
    ASSERT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->accepted(), 1);
  }
  EXPECT_EQ(OutboxRows(path), 1);
  ExpectMovedOnce(path);
}

}  // namespace
}  // namespace xds
