// The patient identity feed's merge in the SQLite store (issue 17).
#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "registry/store/metadata_store.h"
#include "registry/store/store_test_util.h"

namespace xds {
namespace {

using namespace xds::testing;  // NOLINT: test builders

constexpr char kPatient3[] = "P3^^^&1.2.3&ISO";

WritePlan PlanFor(const std::string& tag, const std::string& patient) {
  WritePlan plan;
  *plan.submission.add_document_entries() = MakeDe("urn:uuid:de-" + tag, patient, "1.2.de." + tag);
  *plan.submission.add_submission_sets() = MakeSs("urn:uuid:ss-" + tag, patient, "1.2.ss." + tag);
  *plan.submission.add_folders() = MakeFolder("urn:uuid:fd-" + tag, patient, "1.2.fd." + tag);
  return plan;
}

std::vector<DocumentEntry> EntriesOf(MetadataStore& store, const std::string& patient) {
  DocumentEntryFilter filter;
  filter.patient_ids = {patient};
  auto found = store.FindDocumentEntries(filter);
  EXPECT_TRUE(found.ok()) << found.status();
  return found.ok() ? *found : std::vector<DocumentEntry>();
}

TEST(PatientMergeTest, MovesEverythingAndRetiresTheSubsumedId) {
  auto store = OpenStore(FreshDbPath("merge"));
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  ASSERT_TRUE(store->AddPatient(kPatient2).ok());
  ASSERT_TRUE(store->Submit(PlanFor("a", kPatient1), nullptr).ok());
  ASSERT_TRUE(store->Submit(PlanFor("a2", kPatient1), nullptr).ok());  // several rows per table
  ASSERT_TRUE(store->Submit(PlanFor("b", kPatient2), nullptr).ok());

  AuditEvent event;
  event.set_transaction("ITI-8");
  bool committed = false;
  auto merged = store->MergePatients(kPatient1, kPatient2, &event, &committed);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(committed);
  EXPECT_FALSE(merged->surviving_added);
  EXPECT_EQ(merged->document_entries, 2);
  EXPECT_EQ(merged->submission_sets, 2);
  EXPECT_EQ(merged->folders, 2);

  EXPECT_TRUE(EntriesOf(*store, kPatient1).empty());
  std::vector<DocumentEntry> survivor = EntriesOf(*store, kPatient2);
  ASSERT_EQ(survivor.size(), 3u);
  for (const DocumentEntry& de : survivor) EXPECT_EQ(de.patient_id(), kPatient2);  // the stored object too
  PackageFilter packages;
  packages.patient_ids = {kPatient2};
  EXPECT_EQ(store->FindSubmissionSets(packages)->size(), 3u);
  EXPECT_EQ(store->FindFolders(packages)->size(), 3u);
  auto info = store->FindObjects({"urn:uuid:de-a"});
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->size(), 1u);
  EXPECT_EQ((*info)[0].patient_id, kPatient2);

  EXPECT_FALSE(*store->PatientKnown(kPatient1));
  EXPECT_TRUE(*store->PatientKnown(kPatient2));
  EXPECT_EQ(*store->ListPatients(), std::vector<std::string>({kPatient2}));
  auto links = store->PatientLinksOf(kPatient1);
  ASSERT_TRUE(links.ok());
  EXPECT_TRUE(links->in_index);
  EXPECT_EQ(links->merged_into, kPatient2);
  links = store->PatientLinksOf(kPatient2);
  ASSERT_EQ(links->merged_from.size(), 1u);
  EXPECT_EQ(links->merged_from[0].id, kPatient1);
  EXPECT_TRUE(links->merged_into.empty());
  // The merge's event is in the trail, committed with it.
  for (int i = 0; i < 100 && store->audit_trail().LastSeq() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store->audit_trail().LastSeq(), 1);
}

TEST(PatientMergeTest, ChainsFollowTheLastSurvivorAndRetiredIdsTakeNoMore) {
  auto store = OpenStore(FreshDbPath("chain"));
  ASSERT_TRUE(store->AddPatient(kPatient1).ok());
  ASSERT_TRUE(store->Submit(PlanFor("a", kPatient1), nullptr).ok());
  ASSERT_TRUE(store->MergePatients(kPatient1, kPatient2).ok());
  // P2 was new: admitted by the merge.
  EXPECT_TRUE(*store->PatientKnown(kPatient2));
  ASSERT_TRUE(store->MergePatients(kPatient2, kPatient3).ok());
  EXPECT_EQ(EntriesOf(*store, kPatient3).size(), 1u);
  EXPECT_EQ(store->PatientLinksOf(kPatient1)->merged_into, kPatient3);
  EXPECT_EQ(store->PatientLinksOf(kPatient3)->merged_from.size(), 2u);

  // Into a retired id: refused, nothing written.
  auto refused = store->MergePatients("P9^^^&1.2.3&ISO", kPatient1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(store->PatientLinksOf("P9^^^&1.2.3&ISO")->in_index);
  EXPECT_FALSE(*store->PatientKnown("P9^^^&1.2.3&ISO"));
}

TEST(PatientMergeTest, SurvivesReopen) {
  std::string path = FreshDbPath("reopen");
  {
    auto store = OpenStore(path);
    ASSERT_TRUE(store->AddPatient(kPatient1).ok());
    ASSERT_TRUE(store->MergePatients(kPatient1, kPatient2).ok());
  }
  auto store = OpenStore(path);
  EXPECT_FALSE(*store->PatientKnown(kPatient1));
  EXPECT_EQ(store->PatientLinksOf(kPatient1)->merged_into, kPatient2);
}

}  // namespace
}  // namespace xds
