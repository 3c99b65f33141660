#include "registry/shared/validation/metadata_validator.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/validation/attribute_rules.h"

namespace xds {
namespace {

constexpr char kPatient[] = "P1^^^&1.2.3&ISO";
constexpr char kRegisteredDoc[] = "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3";
constexpr char kRegisteredFolder[] = "urn:uuid:6b2d3c1e-0f4a-4b7e-9c5d-2a1b3c4d5e6f";
constexpr char kMetadataError[] = "XDSRegistryMetadataError";
constexpr char kUnresolved[] = "UnresolvedReferenceException";

Code MakeCode(const std::string& code, const std::string& scheme = "2.16.840.1.113883.6.1") {
  Code c;
  c.set_code(code);
  c.set_scheme(scheme);
  c.set_display_name("Display " + code);
  return c;
}

Author MakeAuthor() {
  Author a;
  a.set_person("^Welby^Marcus^^^Dr");
  a.add_institutions("Some Hospital^^^^^^^^^1.2.3.9.1789.45");
  a.add_roles("Attending");
  return a;
}

DocumentEntry MakeDocumentEntry(const std::string& id, const std::string& unique_id) {
  DocumentEntry e;
  e.mutable_header()->set_entry_uuid(id);
  e.mutable_header()->set_title("Discharge summary");
  e.set_type(STABLE);
  e.set_mime_type("text/xml");
  e.set_patient_id(kPatient);
  e.set_unique_id(unique_id);
  e.set_hash("da39a3ee5e6b4b0d3255bfef95601890afd80709");
  e.set_size(1234);
  e.set_repository_unique_id("1.3.6.1.4.1.21367.2010.1.2.1125");
  e.set_creation_time("20240102030405");
  e.set_service_start_time("202401020304");
  e.set_service_stop_time("20240103");
  e.set_language_code("en-US");
  e.set_source_patient_id("L-77^^^&1.2.3.99&ISO");
  e.add_source_patient_info("PID-5|Doe^John^^^");
  *e.mutable_class_code() = MakeCode("18842-5");
  *e.mutable_type_code() = MakeCode("34108-1");
  *e.mutable_format_code() = MakeCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3");
  *e.mutable_healthcare_facility_type_code() = MakeCode("Outpatient", "Connect-a-thon healthcareFacilityTypeCodes");
  *e.mutable_practice_setting_code() = MakeCode("General Medicine", "Connect-a-thon practiceSettingCodes");
  *e.add_confidentiality_codes() = MakeCode("N", "2.16.840.1.113883.5.25");
  *e.add_event_codes() = MakeCode("T-D4909");
  *e.add_authors() = MakeAuthor();
  return e;
}

Association MakeAssociation(const std::string& id, const char* type, const std::string& source,
                            const std::string& target, const std::string& status = "") {
  Association a;
  a.mutable_header()->set_entry_uuid(id);
  a.set_type(type);
  a.set_source(source);
  a.set_target(target);
  a.set_submission_set_status(status);
  return a;
}

// Association order: 0 SS->Doc1, 1 SS->Doc2, 2 SS->Folder, 3 Folder->Doc1, 4 SS->(3), 5 Doc2 APND registered doc.
Submission MakeValidSubmission() {
  Submission s;
  SubmissionSet* ss = s.add_submission_sets();
  ss->mutable_header()->set_entry_uuid("SubmissionSet01");
  ss->mutable_header()->set_title("Submission");
  ss->set_patient_id(kPatient);
  ss->set_unique_id("1.2.3.4.100");
  ss->set_source_id("1.2.3.4");
  ss->set_submission_time("20240102030500");
  *ss->mutable_content_type_code() = MakeCode("Summary");
  *ss->add_authors() = MakeAuthor();
  *s.add_document_entries() = MakeDocumentEntry("Document01", "1.2.3.4.101");
  *s.add_document_entries() = MakeDocumentEntry("Document02", "1.2.3.4.102");
  Folder* f = s.add_folders();
  f->mutable_header()->set_entry_uuid("Folder01");
  f->mutable_header()->set_title("Pregnancy");
  f->set_patient_id(kPatient);
  f->set_unique_id("1.2.3.4.103");
  *f->add_codes() = MakeCode("Referral");
  *s.add_associations() = MakeAssociation("as01", vocab::kHasMember, "SubmissionSet01", "Document01", "Original");
  *s.add_associations() = MakeAssociation("as02", vocab::kHasMember, "SubmissionSet01", "Document02", "Original");
  *s.add_associations() = MakeAssociation("as03", vocab::kHasMember, "SubmissionSet01", "Folder01");
  *s.add_associations() = MakeAssociation("as04", vocab::kHasMember, "Folder01", "Document01");
  *s.add_associations() = MakeAssociation("as05", vocab::kHasMember, "SubmissionSet01", "as04");
  *s.add_associations() = MakeAssociation("as06", vocab::kApnd, "Document02", kRegisteredDoc);
  return s;
}

std::string Dump(const std::vector<RegistryError>& errors) {
  std::string out;
  for (const RegistryError& e : errors) out += e.code() + " @" + e.location() + ": " + e.context() + "\n";
  return out;
}

bool Has(const std::vector<RegistryError>& errors, const std::string& code, const std::string& needle) {
  for (const RegistryError& e : errors) {
    if (e.code() == code && e.context().find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(ValidateSubmissionTest, ValidSubmissionHasNoErrors) {
  const std::vector<RegistryError> errors = ValidateSubmission(MakeValidSubmission(), ValidationOptions());
  EXPECT_TRUE(errors.empty()) << Dump(errors);
}

// SDKs that put SubmissionSetStatus=Original on every HasMember (e.g. on SS->Folder and on
// SS->(Folder membership)): TF-3 4.2.2.1.2 and 4.2.2.1.4 neither require nor forbid it there.
TEST(ValidateSubmissionTest, OriginalStatusOnFolderHasMembersIsAccepted) {
  Submission s = MakeValidSubmission();
  s.mutable_associations(2)->set_submission_set_status("Original");  // SS -> Folder
  s.mutable_associations(4)->set_submission_set_status("Original");  // SS -> (Folder -> DE)
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  EXPECT_TRUE(errors.empty()) << Dump(errors);
}

TEST(ValidateSubmissionTest, ValidSubmissionWithUuidIdsHasNoErrors) {
  Submission s = MakeValidSubmission();
  s.mutable_document_entries(0)->mutable_header()->set_entry_uuid("urn:uuid:AAAAAAAA-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  s.mutable_associations(0)->set_target("urn:uuid:AAAAAAAA-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  s.mutable_associations(3)->set_target("urn:uuid:AAAAAAAA-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  s.add_object_refs(kRegisteredDoc);
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  EXPECT_TRUE(errors.empty()) << Dump(errors);
}

// One mutation of the valid submission and what it must produce: exactly `count` errors, all
// with `code`, the first naming `location`, and one mentioning `needle`.
struct FailingTwin {
  std::string name;
  std::function<void(Submission*)> mutate;
  std::string code;
  std::string needle;
  std::string location;
  int count = 1;
};

void PrintTo(const FailingTwin& twin, std::ostream* os) { *os << twin.name; }

class FailingTwinTest : public testing::TestWithParam<FailingTwin> {};

TEST_P(FailingTwinTest, ReportsExactlyTheExpectedError) {
  const FailingTwin& twin = GetParam();
  Submission s = MakeValidSubmission();
  twin.mutate(&s);
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  ASSERT_EQ(static_cast<int>(errors.size()), twin.count) << Dump(errors);
  for (const RegistryError& e : errors) {
    EXPECT_EQ(e.code(), twin.code) << Dump(errors);
    EXPECT_EQ(e.severity(), ERROR);
  }
  EXPECT_TRUE(Has(errors, twin.code, twin.needle)) << "no context mentions '" << twin.needle << "'\n" << Dump(errors);
  EXPECT_EQ(errors[0].location(), twin.location) << Dump(errors);
}

DocumentEntry* Doc1(Submission* s) { return s->mutable_document_entries(0); }
DocumentEntry* Doc2(Submission* s) { return s->mutable_document_entries(1); }
SubmissionSet* Ss(Submission* s) { return s->mutable_submission_sets(0); }
Folder* Fd(Submission* s) { return s->mutable_folders(0); }
Association* Assoc(Submission* s, int i) { return s->mutable_associations(i); }

std::vector<FailingTwin> MissingRequiredTwins() {
  const std::string d = "Document01", ss = "SubmissionSet01", fd = "Folder01";
  const std::string m = "required attribute ";
  return {
      {"DePatientId", [](Submission* s) { Doc1(s)->clear_patient_id(); }, kMetadataError, m + "patientId", d},
      {"DeUniqueId", [](Submission* s) { Doc1(s)->clear_unique_id(); }, kMetadataError, m + "uniqueId", d},
      {"DeClassCode", [](Submission* s) { Doc1(s)->clear_class_code(); }, kMetadataError, m + "classCode", d},
      {"DeTypeCode", [](Submission* s) { Doc1(s)->clear_type_code(); }, kMetadataError, m + "typeCode", d},
      {"DeFormatCode", [](Submission* s) { Doc1(s)->clear_format_code(); }, kMetadataError, m + "formatCode", d},
      {"DeHealthcareFacilityTypeCode", [](Submission* s) { Doc1(s)->clear_healthcare_facility_type_code(); },
       kMetadataError, m + "healthcareFacilityTypeCode", d},
      {"DePracticeSettingCode", [](Submission* s) { Doc1(s)->clear_practice_setting_code(); }, kMetadataError,
       m + "practiceSettingCode", d},
      {"DeConfidentialityCode", [](Submission* s) { Doc1(s)->clear_confidentiality_codes(); }, kMetadataError,
       m + "confidentialityCode", d},
      {"DeCreationTime", [](Submission* s) { Doc1(s)->clear_creation_time(); }, kMetadataError, m + "creationTime", d},
      {"DeLanguageCode", [](Submission* s) { Doc1(s)->clear_language_code(); }, kMetadataError, m + "languageCode", d},
      {"DeSourcePatientId", [](Submission* s) { Doc1(s)->clear_source_patient_id(); }, kMetadataError,
       m + "sourcePatientId", d},
      {"DeMimeType", [](Submission* s) { Doc1(s)->clear_mime_type(); }, kMetadataError, m + "mimeType", d},
      {"DeObjectType", [](Submission* s) { Doc1(s)->clear_type(); }, kMetadataError, m + "objectType", d},
      {"DeHash", [](Submission* s) { Doc1(s)->clear_hash(); }, kMetadataError, m + "hash", d},
      {"DeSize", [](Submission* s) { Doc1(s)->clear_size(); }, kMetadataError, m + "size", d},
      {"DeRepositoryUniqueId", [](Submission* s) { Doc1(s)->clear_repository_unique_id(); }, kMetadataError,
       m + "repositoryUniqueId", d},
      {"SsPatientId", [](Submission* s) { Ss(s)->clear_patient_id(); }, kMetadataError, m + "patientId", ss},
      {"SsUniqueId", [](Submission* s) { Ss(s)->clear_unique_id(); }, kMetadataError, m + "uniqueId", ss},
      {"SsSourceId", [](Submission* s) { Ss(s)->clear_source_id(); }, kMetadataError, m + "sourceId", ss},
      {"SsSubmissionTime", [](Submission* s) { Ss(s)->clear_submission_time(); }, kMetadataError, m + "submissionTime",
       ss},
      {"SsContentTypeCode", [](Submission* s) { Ss(s)->clear_content_type_code(); }, kMetadataError,
       m + "contentTypeCode", ss},
      {"FdPatientId", [](Submission* s) { Fd(s)->clear_patient_id(); }, kMetadataError, m + "patientId", fd},
      {"FdUniqueId", [](Submission* s) { Fd(s)->clear_unique_id(); }, kMetadataError, m + "uniqueId", fd},
      {"FdTitle", [](Submission* s) { Fd(s)->mutable_header()->clear_title(); }, kMetadataError, m + "title", fd},
      {"FdCodeList", [](Submission* s) { Fd(s)->clear_codes(); }, kMetadataError, m + "codeList", fd},
      {"AssociationType", [](Submission* s) { Assoc(s, 5)->clear_type(); }, kMetadataError, m + "associationType",
       "as06"},
      {"AssociationSource", [](Submission* s) { Assoc(s, 5)->clear_source(); }, kMetadataError, m + "sourceObject",
       "as06"},
      {"AssociationTarget", [](Submission* s) { Assoc(s, 5)->clear_target(); }, kMetadataError, m + "targetObject",
       "as06"},
  };
}

std::vector<FailingTwin> FormatTwins() {
  const std::string d = "Document01", ss = "SubmissionSet01", fd = "Folder01";
  return {
      {"CreationTimeMonth13", [](Submission* s) { Doc1(s)->set_creation_time("20051301"); }, kMetadataError,
       "creationTime '20051301' is not a DTM", d},
      {"ServiceStartTimeLetters", [](Submission* s) { Doc1(s)->set_service_start_time("2005x"); }, kMetadataError,
       "serviceStartTime", d},
      {"ServiceStopTimeWithZone", [](Submission* s) { Doc1(s)->set_service_stop_time("20240103+0100"); },
       kMetadataError, "serviceStopTime", d},
      {"SubmissionTimeBad", [](Submission* s) { Ss(s)->set_submission_time("2024-01-02"); }, kMetadataError,
       "submissionTime", ss},
      {"LastUpdateTimeBad", [](Submission* s) { Fd(s)->set_last_update_time("20241332"); }, kMetadataError,
       "lastUpdateTime", fd},
      {"SsUniqueIdLeadingZero", [](Submission* s) { Ss(s)->set_unique_id("1.02.3"); }, kMetadataError,
       "uniqueId '1.02.3' is not an OID", ss},
      {"FdUniqueIdNotOid", [](Submission* s) { Fd(s)->set_unique_id("urn:uuid:1"); }, kMetadataError, "uniqueId", fd},
      {"SourceIdEmptyArc", [](Submission* s) { Ss(s)->set_source_id("1..2"); }, kMetadataError,
       "sourceId '1..2' is not an OID", ss},
      {"RepositoryUniqueIdLetters", [](Submission* s) { Doc1(s)->set_repository_unique_id("1.2.x"); }, kMetadataError,
       "repositoryUniqueId", d},
      {"RepositoryUniqueIdTooLong",
       [](Submission* s) { Doc1(s)->set_repository_unique_id("1." + std::string(63, '1')); }, kMetadataError,
       "repositoryUniqueId", d},
      // The same malformed id everywhere, so only the format (not the patient match) is wrong.
      {"PatientIdNotCx",
       [](Submission* s) {
         for (auto& e : *s->mutable_document_entries()) e.set_patient_id("P1^^^1.2.3");
         Ss(s)->set_patient_id("P1^^^1.2.3");
         Fd(s)->set_patient_id("P1^^^1.2.3");
       },
       kMetadataError, "patientId 'P1^^^1.2.3' is not a patient id of the form IdNumber^^^&OID&ISO", ss, 4},
      {"SourcePatientIdWithoutAuthority", [](Submission* s) { Doc1(s)->set_source_patient_id("L-77"); }, kMetadataError,
       "sourcePatientId", d},
      {"HashNotHex", [](Submission* s) { Doc1(s)->set_hash("zz39a3ee5e6b4b0d3255bfef95601890afd80709"); },
       kMetadataError, "hash", d},
      {"HashTooShort", [](Submission* s) { Doc1(s)->set_hash("da39a3ee"); }, kMetadataError, "hash", d},
      {"SizeNegative", [](Submission* s) { Doc1(s)->set_size(-1); }, kMetadataError, "size -1 is negative", d},
      {"MimeTypeWithoutSubtype", [](Submission* s) { Doc1(s)->set_mime_type("textxml"); }, kMetadataError, "mimeType",
       d},
      {"HomeCommunityIdNotOidUrn", [](Submission* s) { Doc1(s)->mutable_header()->set_home("1.2.3"); }, kMetadataError,
       "homeCommunityId", d},
      {"AssociationIdBadUuid", [](Submission* s) { Assoc(s, 5)->mutable_header()->set_entry_uuid("urn:uuid:1234"); },
       kMetadataError, "entryUUID 'urn:uuid:1234' starts with urn:uuid: but is not an RFC 4122 UUID", "urn:uuid:1234"},
      {"TargetBadUuid", [](Submission* s) { Assoc(s, 5)->set_target("urn:uuid:xyz"); }, kMetadataError, "targetObject",
       "as06"},
      {"ClassCodeWithoutScheme", [](Submission* s) { Doc1(s)->mutable_class_code()->clear_scheme(); }, kMetadataError,
       "classCode '18842-5' lacks its codingScheme", d},
      {"ConfidentialityCodeWithoutDisplayName",
       [](Submission* s) { Doc1(s)->mutable_confidentiality_codes(0)->clear_display_name(); }, kMetadataError,
       "confidentialityCode 'N' lacks its display name", d},
      {"FolderCodeWithoutCode", [](Submission* s) { Fd(s)->mutable_codes(0)->clear_code(); }, kMetadataError,
       "codeList value lacks its code", fd},
      {"ContentTypeCodeWithoutScheme", [](Submission* s) { Ss(s)->mutable_content_type_code()->clear_scheme(); },
       kMetadataError, "contentTypeCode", ss},
      {"ServiceStartAfterStop",
       [](Submission* s) {
         Doc1(s)->set_service_start_time("20240104");
         Doc1(s)->set_service_stop_time("2024010323");
       },
       kMetadataError, "serviceStartTime '20240104' is after serviceStopTime", d},
      {"SlotValueTooLong", [](Submission* s) { Doc1(s)->set_language_code(std::string(257, 'a')); }, kMetadataError,
       "languageCode slot languageCode has a value of 257 characters", d},
      {"ExtraSlotValueTooLong",
       [](Submission* s) {
         Slot* slot = Ss(s)->mutable_header()->add_extra_slots();
         slot->set_name("urn:example:extra");
         slot->add_values(std::string(300, 'x'));
       },
       kMetadataError, "Slot 'urn:example:extra' has a value of 300 characters", ss},
      {"AuthorSlotValueTooLong",
       [](Submission* s) { Doc1(s)->mutable_authors(0)->add_institutions(std::string(257, 'i')); }, kMetadataError,
       "authorInstitution", d},
      {"CodingSchemeTooLong",
       [](Submission* s) { Doc1(s)->mutable_type_code()->set_scheme("1." + std::string(256, '2')); }, kMetadataError,
       "typeCode slot codingScheme", d},
      {"DuplicateExtraSlot",
       [](Submission* s) {
         for (int i = 0; i < 2; ++i) Fd(s)->mutable_header()->add_extra_slots()->set_name("urn:example:x");
       },
       kMetadataError, "Slot 'urn:example:x' appears twice", fd},
      {"NoSubmissionSet",
       [](Submission* s) {
         s->clear_submission_sets();
         s->clear_associations();
       },
       kMetadataError, "contains 0 SubmissionSets; exactly one SubmissionSet is required", ""},
      {"TwoSubmissionSets",
       [](Submission* s) {
         SubmissionSet* second = s->add_submission_sets();
         *second = s->submission_sets(0);
         second->mutable_header()->set_entry_uuid("SubmissionSet02");
         second->set_unique_id("1.2.3.4.200");
       },
       kMetadataError, "contains 2 SubmissionSets", ""},
      {"DeLimitedMetadata", [](Submission* s) { Doc1(s)->set_limited_metadata(true); }, kMetadataError,
       "limitedMetadata is prohibited", d},
      {"SsLimitedMetadata", [](Submission* s) { Ss(s)->set_limited_metadata(true); }, kMetadataError,
       "limitedMetadata is prohibited", ss},
      {"FdLimitedMetadata", [](Submission* s) { Fd(s)->set_limited_metadata(true); }, kMetadataError,
       "limitedMetadata is prohibited", fd},
      {"OnDemandEntry", [](Submission* s) { Doc1(s)->set_type(ON_DEMAND); }, kMetadataError,
       "objectType value 'OnDemand' is not allowed (allowed: Stable)", d},
      {"EmptyAuthor",
       [](Submission* s) {
         Doc1(s)->mutable_authors(0)->set_person("");
         Doc1(s)->mutable_authors(0)->clear_institutions();
       },
       kMetadataError, "author has an author with none of authorPerson, authorInstitution, authorTelecommunication", d},
      {"SsAuthorOnlyRole",
       [](Submission* s) {
         Author* a = Ss(s)->add_authors();
         a->add_roles("Nurse");
       },
       kMetadataError, "author", ss},
      {"DeTitle128Chars", [](Submission* s) { Doc1(s)->mutable_header()->set_title(std::string(128, 't')); },
       kMetadataError, "title is 128 characters long, the limit is 127", d},
      {"FdTitle257Chars", [](Submission* s) { Fd(s)->mutable_header()->set_title(std::string(257, 't')); },
       kMetadataError, "title is 257 characters long, the limit is 256", fd},
      {"DocumentAvailabilityShortForm", [](Submission* s) { Doc1(s)->set_document_availability("Online"); },
       kMetadataError, "documentAvailability value 'Online' is not allowed", d},
      {"ObjectRefNotUuid", [](Submission* s) { s->add_object_refs("Document99"); }, kMetadataError,
       "ObjectRef 'Document99' is not a urn:uuid: id", "Document99"},
      {"DuplicateEntryUuid", [](Submission* s) { Assoc(s, 5)->mutable_header()->set_entry_uuid("as01"); },
       kMetadataError, "id 'as01' is used by two objects of the submission", "as01"},
  };
}

std::vector<FailingTwin> AssociationTwins() {
  return {
      {"UnknownAssociationType", [](Submission* s) { Assoc(s, 5)->set_type("urn:example:AssociationType:Likes"); },
       kMetadataError, "associationType 'urn:example:AssociationType:Likes' is not an association type", "as06"},
      {"ShortAssociationType", [](Submission* s) { Assoc(s, 5)->set_type("APND"); }, kMetadataError, "associationType",
       "as06"},
      {"Iti57TypeInIti42",
       [](Submission* s) { Assoc(s, 5)->set_type("urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"); },
       kMetadataError, "associationType", "as06"},
      {"HasMemberWithoutSubmissionSetStatus", [](Submission* s) { Assoc(s, 0)->clear_submission_set_status(); },
       kMetadataError, "lacks the SubmissionSetStatus slot", "as01"},
      {"SubmissionSetStatusUnknownValue", [](Submission* s) { Assoc(s, 0)->set_submission_set_status("original"); },
       kMetadataError, "SubmissionSetStatus value 'original' is not allowed (allowed: Original, Reference)", "as01"},
      {"OriginalToNonSubmittedDocument",
       [](Submission* s) {
         *s->add_associations() =
             MakeAssociation("as07", vocab::kHasMember, "SubmissionSet01", kRegisteredDoc, "Original");
       },
       kMetadataError, "SubmissionSetStatus is Original but targetObject", "as07"},
      {"ReferenceToSubmittedDocument", [](Submission* s) { Assoc(s, 1)->set_submission_set_status("Reference"); },
       kMetadataError, "SubmissionSetStatus is Reference but DocumentEntry 'Document02' is submitted", "as02"},
      {"HasMemberWithDocumentation", [](Submission* s) { *Assoc(s, 2)->add_documentation() = MakeCode("reason"); },
       kMetadataError, "must not carry the association documentation classification", "as03"},
      {"FolderMembershipWithoutSsHasMember", [](Submission* s) { s->mutable_associations()->DeleteSubrange(4, 1); },
       kMetadataError,
       "Folder membership of 'Document01' in Folder 'Folder01' must be accompanied by a HasMember association "
       "from the SubmissionSet to this association",
       "as04"},
      {"RegisteredFolderMembershipWithoutSsHasMember",
       [](Submission* s) {
         *s->add_associations() = MakeAssociation("as07", vocab::kHasMember, kRegisteredFolder, "Document02");
       },
       kMetadataError, "must be accompanied by a HasMember association from the SubmissionSet", "as07"},
      {"FolderHasMemberToFolder",
       [](Submission* s) {
         Folder* second = s->add_folders();
         *second = s->folders(0);
         second->mutable_header()->set_entry_uuid("Folder02");
         second->set_unique_id("1.2.3.4.104");
         *s->add_associations() = MakeAssociation("as07", vocab::kHasMember, "SubmissionSet01", "Folder02");
         *s->add_associations() = MakeAssociation("as08", vocab::kHasMember, "Folder01", "Folder02");
         *s->add_associations() = MakeAssociation("as09", vocab::kHasMember, "SubmissionSet01", "as08");
       },
       kMetadataError, "must target a DocumentEntry, not Folder 'Folder02'", "as08"},
      {"HasMemberFromDocumentEntry",
       [](Submission* s) {
         *s->add_associations() = MakeAssociation("as07", vocab::kHasMember, "Document01", "Document02");
       },
       kMetadataError, "HasMember source 'Document01' is a DocumentEntry", "as07"},
      {"SymbolicSourceUnresolved", [](Submission* s) { Assoc(s, 5)->set_source("Document09"); }, kUnresolved,
       "sourceObject 'Document09' is a symbolic id that names no object of this submission", "as06"},
      {"SymbolicTargetUnresolved", [](Submission* s) { Assoc(s, 3)->set_target("Document09"); }, kUnresolved,
       "targetObject 'Document09'", "as04"},
      {"RelationshipFromRegisteredDocument", [](Submission* s) { Assoc(s, 5)->set_source(kRegisteredFolder); },
       kUnresolved, "sourceObject 'urn:uuid:6b2d3c1e-0f4a-4b7e-9c5d-2a1b3c4d5e6f' of the APND association", "as06"},
      {"RelationshipFromFolder", [](Submission* s) { Assoc(s, 5)->set_source("Folder01"); }, kUnresolved,
       "must be a DocumentEntry submitted in this message", "as06"},
      {"ReplaceOfSubmittedDocument",
       [](Submission* s) {
         Assoc(s, 5)->set_type(vocab::kRplc);
         Assoc(s, 5)->set_target("Document01");
       },
       kUnresolved, "targetObject 'Document01' of the RPLC association must be a DocumentEntry already in the registry",
       "as06"},
      {"SignsTargetIsFolder",
       [](Submission* s) {
         Assoc(s, 5)->set_type(vocab::kSigns);
         Assoc(s, 5)->set_target("Folder01");
       },
       kUnresolved, "targetObject 'Folder01' of the signs association is a Folder", "as06"},
      {"DocumentNotInSubmissionSet", [](Submission* s) { s->mutable_associations()->DeleteSubrange(1, 1); },
       kMetadataError, "DocumentEntry 'Document02' is not a member of the SubmissionSet", "Document02"},
      {"FolderNotInSubmissionSet", [](Submission* s) { s->mutable_associations()->DeleteSubrange(2, 1); },
       kMetadataError, "Folder 'Folder01' is not a member of the SubmissionSet", "Folder01"},
  };
}

std::vector<FailingTwin> CrossObjectTwins() {
  return {
      {"DocumentEntryOfOtherPatient", [](Submission* s) { Doc2(s)->set_patient_id("P2^^^&1.2.3&ISO"); },
       "XDSPatientIdDoesNotMatch",
       "DocumentEntry 'Document02': patientId 'P2^^^&1.2.3&ISO' differs from the SubmissionSet patientId",
       "Document02"},
      {"FolderOfOtherPatient", [](Submission* s) { Fd(s)->set_patient_id("P1^^^&1.2.4&ISO"); },
       "XDSPatientIdDoesNotMatch", "Folder 'Folder01': patientId", "Folder01"},
      {"TwoDocumentsSameUniqueId", [](Submission* s) { Doc2(s)->set_unique_id("1.2.3.4.101"); },
       "XDSRegistryDuplicateUniqueIdInMessage",
       "DocumentEntry 'Document02': uniqueId '1.2.3.4.101' is also used by DocumentEntry 'Document01'", "Document02"},
      {"FolderReusesSubmissionSetUniqueId", [](Submission* s) { Fd(s)->set_unique_id("1.2.3.4.100"); },
       "XDSRegistryDuplicateUniqueIdInMessage", "also used by SubmissionSet 'SubmissionSet01'", "Folder01"},
  };
}

std::string TwinName(const testing::TestParamInfo<FailingTwin>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(MissingRequired, FailingTwinTest, testing::ValuesIn(MissingRequiredTwins()), TwinName);
INSTANTIATE_TEST_SUITE_P(Formats, FailingTwinTest, testing::ValuesIn(FormatTwins()), TwinName);
INSTANTIATE_TEST_SUITE_P(Associations, FailingTwinTest, testing::ValuesIn(AssociationTwins()), TwinName);
INSTANTIATE_TEST_SUITE_P(CrossObject, FailingTwinTest, testing::ValuesIn(CrossObjectTwins()), TwinName);

TEST(ValidateSubmissionTest, ReportsSeveralProblemsTogether) {
  Submission s = MakeValidSubmission();
  Doc1(&s)->clear_class_code();
  Doc1(&s)->set_creation_time("2024");  // still a DTM: no error
  Doc2(&s)->set_hash("nothex");
  Doc2(&s)->set_patient_id("P9^^^&1.2.3&ISO");
  Fd(&s)->set_unique_id("1.2.3.4.101");
  Assoc(&s, 5)->set_source("Nowhere");
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  EXPECT_EQ(errors.size(), 5u) << Dump(errors);
  EXPECT_TRUE(Has(errors, kMetadataError, "required attribute classCode is missing")) << Dump(errors);
  EXPECT_TRUE(Has(errors, kMetadataError, "hash 'nothex'")) << Dump(errors);
  EXPECT_TRUE(Has(errors, "XDSPatientIdDoesNotMatch", "Document02")) << Dump(errors);
  EXPECT_TRUE(Has(errors, "XDSRegistryDuplicateUniqueIdInMessage", "1.2.3.4.101")) << Dump(errors);
  EXPECT_TRUE(Has(errors, kUnresolved, "Nowhere")) << Dump(errors);
}

// Every R row of the table reaches its model field: empty objects miss all of them.
TEST(ValidateSubmissionTest, EmptyObjectsMissEveryRequiredAttributeOfTheTable) {
  Submission s;
  s.add_submission_sets()->mutable_header()->set_entry_uuid("ss");
  s.add_document_entries()->mutable_header()->set_entry_uuid("de");
  s.add_folders()->mutable_header()->set_entry_uuid("fd");
  s.add_associations()->mutable_header()->set_entry_uuid("as");
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  const auto& rules = validation::MetadataAttributeRules();
  ASSERT_TRUE(rules.ok());
  int required = 0;
  for (const validation::AttributeRule& rule : *rules) {
    if (rule.dr42 != validation::Optionality::kRequired || rule.attribute == "entryUUID") continue;
    ++required;
    bool found = false;
    for (const RegistryError& e : errors) {
      found |= e.context().rfind(rule.object, 0) == 0 &&
               e.context().find("required attribute " + rule.attribute + " is missing") != std::string::npos;
    }
    EXPECT_TRUE(found) << rule.object << "." << rule.attribute << "\n" << Dump(errors);
  }
  EXPECT_GE(required, 28);
}

TEST(ValidateSubmissionTest, ObjectWithoutEntryUuidIsNamedByPosition) {
  Submission s = MakeValidSubmission();
  *s.add_document_entries() = MakeDocumentEntry("", "1.2.3.4.109");
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_EQ(errors[0].context(),
            "DocumentEntry #3 (no entryUUID): required attribute entryUUID is missing (TF-3 4.2.3.2.7)");
  EXPECT_EQ(errors[0].location(), "");
}

TEST(ValidateSubmissionTest, DocumentSourceColumnDoesNotRequireRepositoryAttributes) {
  Submission s = MakeValidSubmission();
  for (auto& e : *s.mutable_document_entries()) {
    e.clear_hash();
    e.clear_size();
    e.clear_repository_unique_id();
  }
  ValidationOptions ds41;
  ds41.require_repository_attributes = false;
  EXPECT_TRUE(ValidateSubmission(s, ds41).empty()) << Dump(ValidateSubmission(s, ds41));
  EXPECT_EQ(ValidateSubmission(s, ValidationOptions()).size(), 6u);
  // Present values are still checked.
  Doc1(&s)->set_hash("short");
  EXPECT_TRUE(Has(ValidateSubmission(s, ds41), kMetadataError, "hash 'short'"));
}

TEST(ValidateSubmissionTest, SlotLengthLimitIsConfigurable) {
  Submission s = MakeValidSubmission();
  ValidationOptions options;
  options.max_slot_value_length = 10;
  const std::vector<RegistryError> errors = ValidateSubmission(s, options);
  EXPECT_TRUE(Has(errors, kMetadataError, "sourcePatientId slot sourcePatientId has a value of 20 characters"))
      << Dump(errors);
  EXPECT_TRUE(Has(errors, kMetadataError, "slot codingScheme")) << Dump(errors);
  EXPECT_TRUE(Has(errors, kMetadataError, "slot authorPerson")) << Dump(errors);
  // 256 characters exactly is still fine; multi-byte characters count once.
  Doc1(&s)->set_language_code(std::string(256, 'a'));
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xc3\xbc";
  Doc1(&s)->set_legal_authenticator(umlauts);
  EXPECT_TRUE(ValidateSubmission(s, ValidationOptions()).empty()) << Dump(ValidateSubmission(s, ValidationOptions()));
}

TEST(ValidateSubmissionTest, UnknownIheAndExtraSlotsAreKeptWithoutError) {
  Submission s = MakeValidSubmission();
  Slot* ihe = Doc1(&s)->mutable_header()->add_extra_slots();
  ihe->set_name("urn:ihe:iti:xds:2099:somethingNew");
  ihe->add_values("x");
  Slot* extra = Ss(&s)->mutable_header()->add_extra_slots();
  extra->set_name("urn:example:department");
  extra->add_values("cardiology");
  EXPECT_TRUE(ValidateSubmission(s, ValidationOptions()).empty());
}

TEST(ValidateSubmissionTest, NeverCrashesOnEmptyOrHostileInput) {
  EXPECT_FALSE(ValidateSubmission(Submission(), ValidationOptions()).empty());
  Submission s;
  Association* a = s.add_associations();
  a->set_type(vocab::kHasMember);
  a->set_source("x");
  a->set_target("x");
  s.add_document_entries()->set_creation_time(std::string(1, '\0'));
  s.add_folders()->add_codes();
  s.add_object_refs("");
  EXPECT_FALSE(ValidateSubmission(s, ValidationOptions()).empty());
}

TEST(ExternalReferencesTest, ListsUuidReferencesOutsideTheSubmissionOnce) {
  Submission s = MakeValidSubmission();
  EXPECT_EQ(ExternalReferences(s), std::vector<std::string>{kRegisteredDoc});
  *s.add_associations() = MakeAssociation("as07", vocab::kHasMember, kRegisteredFolder, "Document02");
  *s.add_associations() = MakeAssociation("as08", vocab::kHasMember, "SubmissionSet01", "as07");
  *s.add_associations() = MakeAssociation("as09", vocab::kXfrm, "Document01", kRegisteredDoc);
  *s.add_associations() = MakeAssociation("as10", vocab::kXfrm, "Document01", "Symbolic");
  EXPECT_EQ(ExternalReferences(s), (std::vector<std::string>{kRegisteredDoc, kRegisteredFolder}));
  // A submitted object with a UUID id is not external.
  s.mutable_folders(0)->mutable_header()->set_entry_uuid(kRegisteredFolder);
  EXPECT_EQ(ExternalReferences(s), std::vector<std::string>{kRegisteredDoc});
  EXPECT_TRUE(ExternalReferences(Submission()).empty());
}

TEST(PredicatesTest, IsOid) {
  for (const char* v : {"0", "1.2.3", "2.16.840.1.113883.6.1", "1.0.3", "2.999.2005.3.7"}) {
    EXPECT_TRUE(IsOid(v)) << v;
  }
  EXPECT_TRUE(IsOid("1." + std::string(62, '2')));  // 64 characters
  for (const char* v : {"", ".", "1.", ".1", "1..2", "1.02", "01.2", "1.2a", "1 .2", "urn:oid:1.2", "-1.2"}) {
    EXPECT_FALSE(IsOid(v)) << v;
  }
  EXPECT_FALSE(IsOid("1." + std::string(63, '2')));  // 65 characters
}

TEST(PredicatesTest, IsUuidUrn) {
  EXPECT_TRUE(IsUuidUrn("urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3"));
  EXPECT_TRUE(IsUuidUrn("urn:uuid:10B545EA-725C-446D-9B95-8AEB444EDDF3"));
  EXPECT_FALSE(IsUuidUrn("10b545ea-725c-446d-9b95-8aeb444eddf3"));
  EXPECT_FALSE(IsUuidUrn("urn:uuid:10b545ea725c446d9b958aeb444eddf3"));
  EXPECT_FALSE(IsUuidUrn("urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf"));
  EXPECT_FALSE(IsUuidUrn("urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3a"));
  EXPECT_FALSE(IsUuidUrn("urn:uuid:g0b545ea-725c-446d-9b95-8aeb444eddf3"));
  EXPECT_FALSE(IsUuidUrn("urn:uuid:10b545ea-725c-446d-9b95_8aeb444eddf3"));
  EXPECT_FALSE(IsUuidUrn(""));
}

TEST(PredicatesTest, IsCxPatientId) {
  EXPECT_TRUE(IsCxPatientId("P1^^^&1.2.3&ISO"));
  EXPECT_TRUE(IsCxPatientId("543797436^^^&1.2.840.113619.6.197&ISO"));
  for (const char* v :
       {"P1^^^1.2.3", "P1^x^^&1.2.3&ISO", "P1^^x^&1.2.3&ISO", "P1^^^NS&1.2.3&ISO", "^^^&1.2.3&ISO",
        "P1^^^&1.2.3&ISO^PI", "P1^^^&1.2.3&DNS", "P1^^^&1.02.3&ISO", "P1^^^&1.2.3", "P1", "P&1^^^&1.2.3&ISO", ""}) {
    EXPECT_FALSE(IsCxPatientId(v)) << v;
  }
}

TEST(PredicatesTest, IsSha1Hex) {
  EXPECT_TRUE(IsSha1Hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
  EXPECT_TRUE(IsSha1Hex("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"));
  EXPECT_FALSE(IsSha1Hex("da39a3ee5e6b4b0d3255bfef95601890afd8070"));
  EXPECT_FALSE(IsSha1Hex("da39a3ee5e6b4b0d3255bfef95601890afd807090"));
  EXPECT_FALSE(IsSha1Hex("za39a3ee5e6b4b0d3255bfef95601890afd80709"));
  EXPECT_FALSE(IsSha1Hex(""));
}

}  // namespace
}  // namespace xds
