// Every DocumentEntryFilter / PackageFilter field of the SQLite metadata store, each with a
// case that matches and one that does not.
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "registry/store/metadata_store.h"
#include "registry/store/store_test_util.h"

namespace xds {
namespace {

using namespace xds::testing;  // NOLINT: test builders
using Set = std::set<std::string>;

constexpr char kD1[] = "urn:uuid:d1";
constexpr char kD2[] = "urn:uuid:d2";
constexpr char kD3[] = "urn:uuid:d3";
constexpr char kS1[] = "urn:uuid:s1";
constexpr char kS2[] = "urn:uuid:s2";
constexpr char kF1[] = "urn:uuid:f1";
constexpr char kF2[] = "urn:uuid:f2";
constexpr char kA1[] = "urn:uuid:a1";
constexpr char kA2[] = "urn:uuid:a2";

class FiltersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = OpenStore(FreshDbPath("filters")).release();
    ASSERT_NE(store_, nullptr);
    WritePlan plan;
    Submission& s = plan.submission;

    DocumentEntry d1 = MakeDe(kD1, kPatient1, "u1");
    d1.set_service_start_time("20200101");
    d1.set_service_stop_time("20200105");
    *d1.add_event_codes() = MakeCode("ev-1", "5.1");
    *d1.add_event_codes() = MakeCode("ev-2", "5.1");
    d1.add_authors()->set_person("^Welby^Marcus");
    d1.add_reference_ids("ref-1");
    *s.add_document_entries() = d1;

    DocumentEntry d2 = MakeDe(kD2, kPatient1, "u2");
    d2.mutable_header()->set_status(DEPRECATED);
    d2.mutable_header()->set_logical_id("urn:uuid:lid-2");
    d2.mutable_header()->set_version("2");
    d2.set_type(ON_DEMAND);
    d2.clear_size();
    d2.set_creation_time("20210615");
    *d2.mutable_class_code() = MakeCode("class-B", "1.1");
    *d2.mutable_type_code() = MakeCode("type-B", "1.2");
    *d2.mutable_format_code() = MakeCode("format-B", "1.3");
    *d2.mutable_healthcare_facility_type_code() = MakeCode("hcft-B", "1.4");
    *d2.mutable_practice_setting_code() = MakeCode("ps-B", "1.5");
    d2.clear_confidentiality_codes();
    *d2.add_confidentiality_codes() = MakeCode("R", "2.16.840.1.113883.5.25");
    *d2.add_event_codes() = MakeCode("ev-3", "5.1");
    d2.add_authors()->set_person("^Smith^Jane");
    d2.add_reference_ids("ref-2");
    d2.add_reference_ids("ref-x");
    *s.add_document_entries() = d2;

    DocumentEntry d3 = MakeDe(kD3, kPatient2, "u3");
    *d3.mutable_class_code() = MakeCode("class-A", "9.9");
    d3.set_creation_time("2022");
    d3.set_service_start_time("20220301");
    d3.set_service_stop_time("20220302");
    *s.add_document_entries() = d3;

    SubmissionSet s1 = MakeSs(kS1, kPatient1, "su1");
    s1.add_authors()->set_person("^Welby^Marcus");
    *s.add_submission_sets() = s1;
    SubmissionSet s2 = MakeSs(kS2, kPatient2, "su2");
    s2.set_source_id("1.9.8");
    s2.set_submission_time("20230101");
    *s2.mutable_content_type_code() = MakeCode("ct-B", "3.1");
    *s.add_submission_sets() = s2;

    Folder f1 = MakeFolder(kF1, kPatient1, "fu1");
    *f1.add_codes() = MakeCode("fc-B", "4.1");
    *s.add_folders() = f1;
    Folder f2 = MakeFolder(kF2, kPatient1, "fu2");
    f2.mutable_header()->set_status(DEPRECATED);
    f2.clear_codes();
    *f2.add_codes() = MakeCode("fc-C", "4.1");
    f2.set_last_update_time("20230101");
    *s.add_folders() = f2;

    *s.add_associations() = MakeAssoc(kA1, kMember, kS1, kD1);
    *s.add_associations() = MakeAssoc(kA2, kReplace, kD2, kD1);
    absl::StatusOr<std::vector<RegistryError>> r = store_->Submit(plan, AcceptAll());
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->empty());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }

  static Set Des(const DocumentEntryFilter& f) { return UuidsOf(store_->FindDocumentEntries(f)); }
  static Set Sss(const PackageFilter& f) { return UuidsOf(store_->FindSubmissionSets(f)); }
  static Set Fds(const PackageFilter& f) { return UuidsOf(store_->FindFolders(f)); }

  static MetadataStore* store_;
};
MetadataStore* FiltersTest::store_ = nullptr;

TEST_F(FiltersTest, NoConstraintReturnsAll) { EXPECT_EQ(Des({}), (Set{kD1, kD2, kD3})); }

TEST_F(FiltersTest, PatientStatusType) {
  DocumentEntryFilter f;
  f.patient_ids = {kPatient1};
  EXPECT_EQ(Des(f), (Set{kD1, kD2}));
  f.patient_ids = {"P3^^^&1.2.3&ISO"};
  EXPECT_EQ(Des(f), Set{});

  DocumentEntryFilter st;
  st.statuses = {APPROVED};
  EXPECT_EQ(Des(st), (Set{kD1, kD3}));
  st.statuses = {DEPRECATED};
  EXPECT_EQ(Des(st), Set{kD2});
  st.patient_ids = {kPatient2};
  EXPECT_EQ(Des(st), Set{});

  DocumentEntryFilter ty;
  ty.types = {ON_DEMAND};
  EXPECT_EQ(Des(ty), Set{kD2});
  ty.types = {STABLE};
  EXPECT_EQ(Des(ty), (Set{kD1, kD3}));
  ty.types = {STABLE, ON_DEMAND};
  ty.statuses = {DEPRECATED};
  ty.patient_ids = {kPatient2};
  EXPECT_EQ(Des(ty), Set{});
}

TEST_F(FiltersTest, SingleValuedCodes) {
  DocumentEntryFilter f;
  f.class_codes = {{"class-A", "1.1"}};
  EXPECT_EQ(Des(f), Set{kD1});
  f.class_codes = {{"class-A", ""}};  // no scheme: any scheme
  EXPECT_EQ(Des(f), (Set{kD1, kD3}));
  f.class_codes = {{"class-A", "1.1"}, {"class-B", "1.1"}};
  EXPECT_EQ(Des(f), (Set{kD1, kD2}));
  f.class_codes = {{"class-A", "1.1"}, {"class-A", "9.9"}, {"class-B", ""}};
  EXPECT_EQ(Des(f), (Set{kD1, kD2, kD3}));
  f.class_codes = {{"class-C", "1.1"}, {"class-B", "9.9"}};
  EXPECT_EQ(Des(f), Set{});

  struct Field {
    std::vector<CodeRef> DocumentEntryFilter::*member;
    std::string prefix, scheme;
  };
  for (const Field& field : {Field{&DocumentEntryFilter::type_codes, "type", "1.2"},
                             Field{&DocumentEntryFilter::practice_setting_codes, "ps", "1.5"},
                             Field{&DocumentEntryFilter::healthcare_facility_type_codes, "hcft", "1.4"},
                             Field{&DocumentEntryFilter::format_codes, "format", "1.3"}}) {
    DocumentEntryFilter g;
    g.*field.member = {{field.prefix + "-B", field.scheme}};
    EXPECT_EQ(Des(g), Set{kD2}) << field.prefix;
    g.*field.member = {{field.prefix + "-A", field.scheme}};
    EXPECT_EQ(Des(g), (Set{kD1, kD3})) << field.prefix;
    g.*field.member = {{field.prefix + "-A", "0.0"}, {field.prefix + "-Z", field.scheme}};
    EXPECT_EQ(Des(g), Set{}) << field.prefix;
  }
}

TEST_F(FiltersTest, MultiValuedCodesAreAndOfOrs) {
  DocumentEntryFilter f;
  f.event_codes_all = {{{"ev-1", "5.1"}}, {{"ev-2", "5.1"}}};
  EXPECT_EQ(Des(f), Set{kD1});
  f.event_codes_all = {{{"ev-1", "5.1"}}, {{"ev-3", "5.1"}}};
  EXPECT_EQ(Des(f), Set{});
  f.event_codes_all = {{{"ev-1", "5.1"}, {"ev-3", "5.1"}}};
  EXPECT_EQ(Des(f), (Set{kD1, kD2}));
  f.event_codes_all = {{{"ev-1", "0.0"}, {"ev-9", "5.1"}}};
  EXPECT_EQ(Des(f), Set{});

  DocumentEntryFilter c;
  c.confidentiality_codes_all = {{{"R", "2.16.840.1.113883.5.25"}}};
  EXPECT_EQ(Des(c), Set{kD2});
  c.confidentiality_codes_all = {{{"N", ""}}};
  EXPECT_EQ(Des(c), (Set{kD1, kD3}));
  c.confidentiality_codes_all = {{{"N", "2.16.840.1.113883.5.25"}}, {{"R", "2.16.840.1.113883.5.25"}}};
  EXPECT_EQ(Des(c), Set{});
  // Event codes are not confidentiality codes.
  c.confidentiality_codes_all = {{{"ev-1", "5.1"}}};
  EXPECT_EQ(Des(c), Set{});
}

TEST_F(FiltersTest, AuthorPersonLike) {
  DocumentEntryFilter f;
  f.author_person_patterns = {"%Welby%"};
  EXPECT_EQ(Des(f), Set{kD1});
  f.author_person_patterns = {"^Smith^J_ne"};
  EXPECT_EQ(Des(f), Set{kD2});
  f.author_person_patterns = {"%Nobody%", "^Smith^Jane"};
  EXPECT_EQ(Des(f), Set{kD2});
  f.author_person_patterns = {"%welby%"};  // SQLite LIKE ignores ASCII case
  EXPECT_EQ(Des(f), Set{kD1});
  f.author_person_patterns = {"Welby"};  // no wildcard: whole value must match
  EXPECT_EQ(Des(f), Set{});
}

TEST_F(FiltersTest, ReferenceIds) {
  DocumentEntryFilter f;
  f.reference_ids = {"ref-2"};
  EXPECT_EQ(Des(f), Set{kD2});
  f.reference_ids = {"ref-1", "ref-2"};
  EXPECT_EQ(Des(f), (Set{kD1, kD2}));
  f.reference_ids = {"ref-9"};
  EXPECT_EQ(Des(f), Set{});
}

TEST_F(FiltersTest, ReferenceIdGroupsAreAndOfOrs) {
  DocumentEntryFilter f;
  f.reference_ids_all = {{"ref-2"}, {"ref-x"}};
  EXPECT_EQ(Des(f), Set{kD2});
  f.reference_ids_all = {{"ref-1"}, {"ref-x"}};
  EXPECT_EQ(Des(f), Set{});
  f.reference_ids_all = {{"ref-1", "ref-2"}, {"ref-x"}};
  EXPECT_EQ(Des(f), Set{kD2});
  f.reference_ids_all = {{"ref-1", "ref-x"}};
  EXPECT_EQ(Des(f), (Set{kD1, kD2}));
}

TEST_F(FiltersTest, CreationTimeFromInclusiveToExclusive) {
  DocumentEntryFilter f;
  f.creation_from = "20210101000000";
  EXPECT_EQ(Des(f), (Set{kD2, kD3}));
  f.creation_from = "20210615000000";  // d2 is exactly 20210615
  EXPECT_EQ(Des(f), (Set{kD2, kD3}));
  f.creation_from = "20210615000001";
  EXPECT_EQ(Des(f), Set{kD3});
  DocumentEntryFilter t;
  t.creation_to = "20210615000000";
  EXPECT_EQ(Des(t), Set{kD1});
  t.creation_to = "20190101000000";
  EXPECT_EQ(Des(t), Set{});
  t.creation_from = "2020";  // short DTMs are padded the same way as stored values
  t.creation_to = "2021";
  EXPECT_EQ(Des(t), Set{kD1});
}

TEST_F(FiltersTest, ServiceTimesDoNotExcludeEntriesWithoutThem) {
  DocumentEntryFilter f;
  f.service_start_from = "20220101000000";
  EXPECT_EQ(Des(f), (Set{kD2, kD3}));  // d2 has no serviceStartTime
  f.service_start_from = "20220301000000";
  EXPECT_EQ(Des(f), (Set{kD2, kD3}));
  f.service_start_from = "20220301000001";
  EXPECT_EQ(Des(f), Set{kD2});
  DocumentEntryFilter t;
  t.service_start_to = "20220301000000";
  EXPECT_EQ(Des(t), (Set{kD1, kD2}));
  t.service_start_to = "20200101000000";
  EXPECT_EQ(Des(t), Set{kD2});

  DocumentEntryFilter s;
  s.service_stop_from = "20220302000000";
  EXPECT_EQ(Des(s), (Set{kD2, kD3}));
  s.service_stop_from = "20220302000001";
  EXPECT_EQ(Des(s), Set{kD2});
  DocumentEntryFilter u;
  u.service_stop_to = "20220302000000";
  EXPECT_EQ(Des(u), (Set{kD1, kD2}));
  u.service_stop_to = "20200105000000";
  EXPECT_EQ(Des(u), Set{kD2});
}

TEST_F(FiltersTest, Identifiers) {
  DocumentEntryFilter f;
  f.entry_uuids = {kD2, "urn:uuid:nope"};
  EXPECT_EQ(Des(f), Set{kD2});
  f.entry_uuids = {"urn:uuid:nope"};
  EXPECT_EQ(Des(f), Set{});
  DocumentEntryFilter u;
  u.unique_ids = {"u3", "u1"};
  EXPECT_EQ(Des(u), (Set{kD1, kD3}));
  u.unique_ids = {"u9"};
  EXPECT_EQ(Des(u), Set{});
  DocumentEntryFilter l;
  l.logical_ids = {"urn:uuid:lid-2"};
  EXPECT_EQ(Des(l), Set{kD2});
  l.logical_ids = {kD1};
  EXPECT_EQ(Des(l), Set{kD1});
  l.logical_ids = {kD2};  // d2's lid differs from its entryUUID
  EXPECT_EQ(Des(l), Set{});
}

TEST_F(FiltersTest, LimitReturnsOneExtraRow) {
  DocumentEntryFilter f;
  f.limit = 1;
  absl::StatusOr<std::vector<DocumentEntry>> r = store_->FindDocumentEntries(f);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
  f.limit = 3;
  EXPECT_EQ(store_->FindDocumentEntries(f)->size(), 3u);
  PackageFilter p;
  p.limit = 1;
  EXPECT_EQ(store_->FindSubmissionSets(p)->size(), 2u);
  p.limit = 2;
  EXPECT_EQ(store_->FindFolders(p)->size(), 2u);
}

TEST_F(FiltersTest, CombinedHotPath) {
  DocumentEntryFilter f;
  f.patient_ids = {kPatient1};
  f.statuses = {APPROVED};
  f.class_codes = {{"class-A", "1.1"}};
  f.creation_from = "20200101000000";
  f.creation_to = "20200102000000";
  EXPECT_EQ(Des(f), Set{kD1});
  f.creation_from = "20200101000001";
  EXPECT_EQ(Des(f), Set{});
}

TEST_F(FiltersTest, SubmissionSets) {
  PackageFilter f;
  f.patient_ids = {kPatient1};
  EXPECT_EQ(Sss(f), Set{kS1});
  f.statuses = {DEPRECATED};
  EXPECT_EQ(Sss(f), Set{});
  PackageFilter id;
  id.entry_uuids = {kS2};
  EXPECT_EQ(Sss(id), Set{kS2});
  id.entry_uuids = {kD1};
  EXPECT_EQ(Sss(id), Set{});
  PackageFilter u;
  u.unique_ids = {"su1"};
  EXPECT_EQ(Sss(u), Set{kS1});
  u.unique_ids = {"u1"};
  EXPECT_EQ(Sss(u), Set{});
  PackageFilter src;
  src.source_ids = {"1.9.8"};
  EXPECT_EQ(Sss(src), Set{kS2});
  src.source_ids = {"1.9.7"};
  EXPECT_EQ(Sss(src), Set{});
  PackageFilter ct;
  ct.content_type_codes = {{"ct-B", "3.1"}};
  EXPECT_EQ(Sss(ct), Set{kS2});
  ct.content_type_codes = {{"ct-B", "0.0"}};
  EXPECT_EQ(Sss(ct), Set{});
  PackageFilter au;
  au.author_person_patterns = {"%Marcus"};
  EXPECT_EQ(Sss(au), Set{kS1});
  au.author_person_patterns = {"%Jane%"};
  EXPECT_EQ(Sss(au), Set{});
  PackageFilter tm;
  tm.time_from = "20200101120000";
  EXPECT_EQ(Sss(tm), (Set{kS1, kS2}));
  tm.time_from = "20200101120001";
  EXPECT_EQ(Sss(tm), Set{kS2});
  tm.time_to = "20230101000000";
  EXPECT_EQ(Sss(tm), Set{});
}

TEST_F(FiltersTest, Folders) {
  PackageFilter f;
  f.patient_ids = {kPatient1};
  EXPECT_EQ(Fds(f), (Set{kF1, kF2}));
  f.patient_ids = {kPatient2};
  EXPECT_EQ(Fds(f), Set{});
  PackageFilter st;
  st.statuses = {APPROVED};
  EXPECT_EQ(Fds(st), Set{kF1});
  PackageFilter id;
  id.entry_uuids = {kF2};
  EXPECT_EQ(Fds(id), Set{kF2});
  id.entry_uuids = {kS1};
  EXPECT_EQ(Fds(id), Set{});
  PackageFilter u;
  u.unique_ids = {"fu2"};
  EXPECT_EQ(Fds(u), Set{kF2});
  u.unique_ids = {"su1"};
  EXPECT_EQ(Fds(u), Set{});
  PackageFilter c;
  c.folder_codes_all = {{{"fc-A", "4.1"}}, {{"fc-B", "4.1"}}};
  EXPECT_EQ(Fds(c), Set{kF1});
  c.folder_codes_all = {{{"fc-A", "4.1"}, {"fc-C", "4.1"}}};
  EXPECT_EQ(Fds(c), (Set{kF1, kF2}));
  c.folder_codes_all = {{{"fc-A", "4.1"}}, {{"fc-C", "4.1"}}};
  EXPECT_EQ(Fds(c), Set{});
  PackageFilter tm;
  tm.time_from = "20230101000000";
  EXPECT_EQ(Fds(tm), Set{kF2});
  tm.time_from.clear();
  tm.time_to = "20230101000000";
  EXPECT_EQ(Fds(tm), Set{kF1});
  tm.time_to = "20200101120000";
  EXPECT_EQ(Fds(tm), Set{});
}

TEST_F(FiltersTest, Associations) {
  EXPECT_EQ(UuidsOf(store_->FindAssociations({kD1}, {})), (Set{kA1, kA2}));
  EXPECT_EQ(UuidsOf(store_->FindAssociations({kD1}, {kReplace})), Set{kA2});
  EXPECT_EQ(UuidsOf(store_->FindAssociations({kS1}, {})), Set{kA1});
  EXPECT_EQ(UuidsOf(store_->FindAssociations({kS1}, {kReplace})), Set{});
  EXPECT_EQ(UuidsOf(store_->FindAssociations({"urn:uuid:nope"}, {})), Set{});
  EXPECT_FALSE(store_->FindAssociations({}, {}).ok());
  // Lists longer than one statement's chunk; a1 matches by both ends but comes back once.
  std::vector<std::string> many;
  for (int i = 0; i < 700; ++i) many.push_back("urn:uuid:filler-" + std::to_string(i));
  many.insert(many.begin() + 10, kS1);
  many.push_back(kD1);
  absl::StatusOr<std::vector<Association>> all = store_->FindAssociations(many, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(UuidsOf(all), (Set{kA1, kA2}));
  many.push_back(kD2);
  absl::StatusOr<std::vector<StoredObjectInfo>> objects = store_->FindObjects(many);
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 3u);
}

}  // namespace
}  // namespace xds
