#include "registry/shared/ebrim/codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "registry/shared/ebrim/vocabulary.h"

namespace xds::ebrim {
namespace {

using google::protobuf::util::MessageDifferencer;

// --- helpers -----------------------------------------------------------------------------

std::string SharedDir() {
  const char* env = std::getenv("XDS_SHARED");
  return env != nullptr && *env != '\0' ? env : "/work/shared";
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string IheExample(const std::string& name) {
  return SharedDir() + "/conformance/other/ihe-iti-info/examples/XDS.b/" + name;
}

#define SKIP_UNLESS_EXISTS(path)                                     \
  if (!Exists(path))                                                 \
  GTEST_SKIP() << "IHE conformance material not found at " << (path) \
               << " (set XDS_SHARED to the shared reference folder)"

std::string Serialize(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ");
  return out.str();
}

// Parses `xml` into `doc` (asserting well-formedness).
void Load(pugi::xml_document* doc, const std::string& xml) {
  pugi::xml_parse_result result = doc->load_string(xml.c_str());
  ASSERT_TRUE(result) << result.description();
}

std::string ErrorsToString(const std::vector<RegistryError>& errors) {
  std::string out;
  for (const RegistryError& e : errors) out += e.code() + " @" + e.location() + ": " + e.context() + "\n";
  return out;
}

// Emits `submission` as a SubmitObjectsRequest and parses it back.
ParsedSubmission EmitAndParse(const Submission& submission, std::string* xml_out = nullptr) {
  pugi::xml_document doc;
  AppendSubmitObjectsRequest(doc, submission);
  std::string xml = Serialize(doc);
  if (xml_out != nullptr) *xml_out = xml;
  pugi::xml_document reparsed;
  reparsed.load_string(xml.c_str());
  return ParseSubmitObjectsRequest(reparsed.document_element());
}

void ExpectEqualProto(const google::protobuf::Message& expected, const google::protobuf::Message& actual) {
  MessageDifferencer differencer;
  std::string diff;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(expected, actual)) << diff;
}

// A submission wrapped around `objects` (rim elements, prefix rim bound).
std::string Wrap(const std::string& objects) {
  return "<lcm:SubmitObjectsRequest xmlns:lcm='urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0'"
         " xmlns:rim='urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'><rim:RegistryObjectList>" +
         objects + "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>";
}

ParsedSubmission ParseString(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  return ParseSubmitObjectsRequest(doc.document_element());
}

bool HasMetadataError(const std::vector<RegistryError>& errors, const std::string& location,
                      const std::string& context_part) {
  for (const RegistryError& e : errors) {
    if (e.code() == "XDSRegistryMetadataError" && e.location() == location &&
        e.context().find(context_part) != std::string::npos && e.severity() == ERROR) {
      return true;
    }
  }
  return false;
}

Code MakeCode(const std::string& code, const std::string& scheme, const std::string& name, const std::string& id) {
  Code c;
  c.set_code(code);
  c.set_scheme(scheme);
  c.set_display_name(name);
  c.set_id(id);
  return c;
}

// A DocumentEntry with every model attribute set (and an extra slot).
DocumentEntry FullDocumentEntry() {
  DocumentEntry de;
  ObjectHeader* h = de.mutable_header();
  h->set_entry_uuid("urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fc");
  h->set_logical_id("urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fc");
  h->set_version("2");
  h->set_status(APPROVED);
  h->set_home("urn:oid:1.2.3.4.5.6");
  h->set_title("Discharge letter <draft> & \"final\"");
  h->set_comments("Comment with 'quotes'");
  Slot* extra = h->add_extra_slots();
  extra->set_name("urn:example:ward");
  extra->add_values("Ward 3");
  extra->add_values("Bed 12 & 13");
  h->mutable_nested_ids()->set_patient_id("urn:uuid:88355d4d-d16c-4c22-bce8-aa29714ab156");
  h->mutable_nested_ids()->set_unique_id("urn:uuid:0bd13658-efab-45a9-8203-583c41a7e3eb");
  de.set_type(STABLE);
  de.set_mime_type("text/plain");
  de.set_patient_id("P-1^^^&1.2.3.4.5&ISO");
  de.set_unique_id("2.25.328426081864361416168420475376751073281");
  de.set_hash("36b01a250f0cd6417696fec49d8a27abb58dde86");
  de.set_size(24);
  de.set_repository_unique_id("1.2.3.4.5.8.1");
  de.set_creation_time("20250301101500");
  de.set_service_start_time("20250228");
  de.set_service_stop_time("20250301");
  de.set_language_code("nl-NL");
  de.set_source_patient_id("MRN4711^^^&1.2.3.4.5.9.3&ISO");
  de.add_source_patient_info("PID-3|MRN4711^^^&1.2.3.4.5.9.3&ISO");
  de.add_source_patient_info("PID-5|Bakker^Anna^^^");
  de.set_legal_authenticator("12345^Jansen^Pieter^^^Dr");
  de.set_uri("http://example.org/doc.txt");
  *de.mutable_class_code() =
      MakeCode("DISCHARGE", "2.999.100.1", "Discharge", "urn:uuid:a1a1a1a1-0000-4000-8000-000000000001");
  *de.mutable_type_code() = MakeCode("18842-5", "2.16.840.1.113883.6.1", "Discharge summary",
                                     "urn:uuid:a1a1a1a1-0000-4000-8000-000000000002");
  *de.mutable_format_code() = MakeCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3", "MIME",
                                       "urn:uuid:a1a1a1a1-0000-4000-8000-000000000003");
  *de.mutable_healthcare_facility_type_code() =
      MakeCode("HOSP", "2.999.100.2", "Hospital", "urn:uuid:a1a1a1a1-0000-4000-8000-000000000004");
  *de.mutable_practice_setting_code() =
      MakeCode("INTERNAL", "2.999.100.3", "Internal medicine", "urn:uuid:a1a1a1a1-0000-4000-8000-000000000005");
  *de.add_confidentiality_codes() =
      MakeCode("N", "2.16.840.1.113883.5.25", "normal", "urn:uuid:a1a1a1a1-0000-4000-8000-000000000006");
  *de.add_confidentiality_codes() =
      MakeCode("R", "2.16.840.1.113883.5.25", "restricted", "urn:uuid:a1a1a1a1-0000-4000-8000-000000000007");
  *de.add_event_codes() =
      MakeCode("IMP", "2.16.840.1.113883.5.4", "inpatient", "urn:uuid:a1a1a1a1-0000-4000-8000-000000000008");
  Author* author = de.add_authors();
  author->set_id("urn:uuid:a1a1a1a1-0000-4000-8000-000000000009");
  author->set_person("12345^Jansen^Pieter^^^Dr^^^&1.2.3.4.5.9.2&ISO");
  author->add_institutions("Example Hospital^^^^^^^^^1.2.3.4.5.9");
  author->add_institutions("Other Clinic^^^^^^^^^1.2.3.4.5.10");
  author->add_roles("Attending");
  author->add_specialties("Internal medicine");
  author->add_telecommunications("^^Internet^p.jansen@hospital.example.org");
  de.add_reference_ids("E-1^^^&1.2.3.4.5.9.4&ISO^urn:ihe:iti:xds:2015:encounterId");
  de.set_document_availability("urn:ihe:iti:2010:DocumentAvailability:Online");
  return de;
}

SubmissionSet FullSubmissionSet() {
  SubmissionSet ss;
  ObjectHeader* h = ss.mutable_header();
  h->set_entry_uuid("urn:uuid:b2b2b2b2-0000-4000-8000-000000000001");
  h->set_logical_id("urn:uuid:b2b2b2b2-0000-4000-8000-000000000001");
  h->set_status(APPROVED);
  h->set_title("Submission");
  h->set_comments("All at once");
  h->mutable_nested_ids()->set_patient_id("urn:uuid:b2b2b2b2-0000-4000-8000-000000000002");
  h->mutable_nested_ids()->set_unique_id("urn:uuid:b2b2b2b2-0000-4000-8000-000000000003");
  h->mutable_nested_ids()->set_source_id("urn:uuid:b2b2b2b2-0000-4000-8000-000000000004");
  h->mutable_nested_ids()->set_type_classification("urn:uuid:b2b2b2b2-0000-4000-8000-000000000005");
  ss.set_patient_id("P-1^^^&1.2.3.4.5&ISO");
  ss.set_unique_id("2.25.1");
  ss.set_source_id("1.2.3.4.5.9.1");
  ss.set_submission_time("20250301101600");
  *ss.mutable_content_type_code() =
      MakeCode("DISCHARGE", "2.999.100.4", "Discharge", "urn:uuid:b2b2b2b2-0000-4000-8000-000000000006");
  Author* author = ss.add_authors();
  author->set_id("urn:uuid:b2b2b2b2-0000-4000-8000-000000000007");
  author->add_institutions("Example Hospital^^^^^^^^^1.2.3.4.5.9");
  ss.add_intended_recipients("Physio^^^^^^^^^1.2.3.9|^Visser^Eva|");
  return ss;
}

Folder FullFolder() {
  Folder f;
  ObjectHeader* h = f.mutable_header();
  h->set_entry_uuid("urn:uuid:c3c3c3c3-0000-4000-8000-000000000001");
  h->set_logical_id("urn:uuid:c3c3c3c3-0000-4000-8000-000000000001");
  h->set_status(APPROVED);
  h->set_title("Folder title");
  h->mutable_nested_ids()->set_patient_id("urn:uuid:c3c3c3c3-0000-4000-8000-000000000002");
  h->mutable_nested_ids()->set_unique_id("urn:uuid:c3c3c3c3-0000-4000-8000-000000000003");
  h->mutable_nested_ids()->set_type_classification("urn:uuid:c3c3c3c3-0000-4000-8000-000000000004");
  f.set_patient_id("P-1^^^&1.2.3.4.5&ISO");
  f.set_unique_id("2.25.2");
  f.set_last_update_time("20250301101700");
  *f.add_codes() = MakeCode("A", "2.999.100.5", "Code A", "urn:uuid:c3c3c3c3-0000-4000-8000-000000000005");
  *f.add_codes() = MakeCode("B", "2.999.100.5", "Code B", "urn:uuid:c3c3c3c3-0000-4000-8000-000000000006");
  return f;
}

Association FullAssociation() {
  Association a;
  a.mutable_header()->set_entry_uuid("urn:uuid:d4d4d4d4-0000-4000-8000-000000000001");
  a.mutable_header()->set_status(APPROVED);
  a.set_type(vocab::kHasMember);
  a.set_source("urn:uuid:b2b2b2b2-0000-4000-8000-000000000001");
  a.set_target("urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fc");
  a.set_submission_set_status("Original");
  return a;
}

// Validates `xml` against one of the ebRS schemas with xmllint; returns its exit status.
int ValidateWithXmllint(const std::string& xml, const std::string& schema, const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name + ".xml";
  std::ofstream(path) << xml;
  std::string shared = SharedDir();
  std::string command = "XML_CATALOG_FILES=" + shared +
                        "/conformance/schemas/catalog.xml xmllint --noout --nonet --schema " + shared +
                        "/conformance/schemas/ihe-iti-info/schema/ebRS/" + schema + " " + path + " 2>&1";
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define SKIP_UNLESS_SCHEMAS()                                                                             \
  do {                                                                                                    \
    std::string schemas = SharedDir() + "/conformance/schemas/ihe-iti-info/schema/ebRS";                  \
    if (!Exists(schemas)) GTEST_SKIP() << "ebRS schemas not found at " << schemas << " (set XDS_SHARED)"; \
    if (std::system("command -v xmllint >/dev/null 2>&1") != 0)                                           \
      GTEST_SKIP() << "xmllint not installed (Debian package libxml2-utils)";                             \
  } while (0)

// --- parsing the IHE example ------------------------------------------------------------

TEST(ParseSubmitObjectsRequest, IheRegisterDocumentSetExample) {
  std::string path = IheExample("RegisterDocumentSet-bRequest.xml");
  SKIP_UNLESS_EXISTS(path);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(path.c_str()));
  ParsedSubmission parsed = ParseSubmitObjectsRequest(doc.document_element());
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  const Submission& s = parsed.submission;
  ASSERT_EQ(s.document_entries_size(), 1);
  ASSERT_EQ(s.submission_sets_size(), 1);
  ASSERT_EQ(s.associations_size(), 1);
  EXPECT_EQ(s.folders_size(), 0);

  const DocumentEntry& de = s.document_entries(0);
  EXPECT_EQ(de.header().entry_uuid(), "Document01");
  EXPECT_EQ(de.type(), STABLE);
  EXPECT_EQ(de.mime_type(), "text/xml");
  EXPECT_EQ(de.header().title(), "Physical");
  EXPECT_EQ(de.header().comments(), "");
  EXPECT_EQ(de.creation_time(), "20051224");
  EXPECT_EQ(de.language_code(), "en-us");
  EXPECT_EQ(de.service_start_time(), "200412230800");
  EXPECT_EQ(de.service_stop_time(), "200412230801");
  EXPECT_EQ(de.source_patient_id(), "ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO");
  ASSERT_EQ(de.source_patient_info_size(), 5);
  EXPECT_EQ(de.source_patient_info(1), "PID-5|Doe^John^^^");
  EXPECT_FALSE(de.has_size());
  EXPECT_EQ(de.patient_id(), "SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  EXPECT_EQ(de.unique_id(), "1.3.6.1.4.1.21367.2005.3.9999.32");
  EXPECT_EQ(de.header().nested_ids().patient_id(), "ei01");
  EXPECT_EQ(de.header().nested_ids().unique_id(), "ei02");
  EXPECT_EQ(de.class_code().code(), "History and Physical");
  EXPECT_EQ(de.class_code().scheme(), "Connect-a-thon classCodes");
  EXPECT_EQ(de.class_code().display_name(), "History and Physical");
  EXPECT_EQ(de.class_code().id(), "cl02");
  ASSERT_EQ(de.confidentiality_codes_size(), 1);
  EXPECT_EQ(de.confidentiality_codes(0).code(), "1.3.6.1.4.1.21367.2006.7.101");
  EXPECT_EQ(de.format_code().code(), "CDAR2/IHE 1.0");
  EXPECT_EQ(de.healthcare_facility_type_code().code(), "Outpatient");
  EXPECT_EQ(de.practice_setting_code().code(), "General Medicine");
  EXPECT_EQ(de.type_code().code(), "34108-1");
  EXPECT_EQ(de.type_code().scheme(), "LOINC");
  ASSERT_EQ(de.authors_size(), 1);
  EXPECT_EQ(de.authors(0).id(), "cl01");
  EXPECT_EQ(de.authors(0).person(), "Gerald Smitty");
  ASSERT_EQ(de.authors(0).institutions_size(), 2);
  EXPECT_EQ(de.authors(0).institutions(1), "Parma Community");
  EXPECT_EQ(de.authors(0).roles(0), "Attending");
  EXPECT_EQ(de.authors(0).specialties(0), "Orthopedic");
  EXPECT_EQ(de.header().extra_slots_size(), 0);
  EXPECT_FALSE(de.limited_metadata());

  const SubmissionSet& ss = s.submission_sets(0);
  EXPECT_EQ(ss.header().entry_uuid(), "SubmissionSet01");
  EXPECT_EQ(ss.submission_time(), "20041225235050");
  EXPECT_EQ(ss.header().title(), "Physical");
  EXPECT_EQ(ss.header().comments(), "Annual physical");
  EXPECT_EQ(ss.content_type_code().code(), "History and Physical");
  EXPECT_EQ(ss.unique_id(), "1.3.6.1.4.1.21367.2005.3.9999.33");
  EXPECT_EQ(ss.source_id(), "3670984664");
  EXPECT_EQ(ss.patient_id(), "SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  EXPECT_EQ(ss.header().nested_ids().type_classification(), "cl10");
  EXPECT_EQ(ss.header().nested_ids().source_id(), "ei04");
  ASSERT_EQ(ss.authors_size(), 1);
  EXPECT_EQ(ss.authors(0).person(), "Sherry Dopplemeyer");

  const Association& a = s.associations(0);
  EXPECT_EQ(a.type(), vocab::kHasMember);  // "HasMember" in the example
  EXPECT_EQ(a.source(), "SubmissionSet01");
  EXPECT_EQ(a.target(), "Document01");
  EXPECT_EQ(a.submission_set_status(), "Original");
}

TEST(RoundTrip, IheRegisterDocumentSetExample) {
  std::string path = IheExample("RegisterDocumentSet-bRequest.xml");
  SKIP_UNLESS_EXISTS(path);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(path.c_str()));
  ParsedSubmission first = ParseSubmitObjectsRequest(doc.document_element());
  ASSERT_TRUE(first.errors.empty()) << ErrorsToString(first.errors);
  ParsedSubmission second = EmitAndParse(first.submission);
  EXPECT_TRUE(second.errors.empty()) << ErrorsToString(second.errors);
  ExpectEqualProto(first.submission, second.submission);
}

TEST(RoundTrip, ProjectFixtureTwoDocumentsAndFolder) {
  const std::string path = "tests/fixtures/iti42/submission_two_docs_folder.xml";
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(path.c_str())) << "fixture missing from runfiles: " << path;
  ParsedSubmission first = ParseSubmitObjectsRequest(doc.document_element());
  ASSERT_TRUE(first.errors.empty()) << ErrorsToString(first.errors);
  const Submission& s = first.submission;
  ASSERT_EQ(s.submission_sets_size(), 1);
  ASSERT_EQ(s.document_entries_size(), 2);
  ASSERT_EQ(s.folders_size(), 1);
  ASSERT_EQ(s.associations_size(), 7);
  EXPECT_EQ(s.document_entries(0).patient_id(), "P-1^^^&1.2.3.4.5&ISO");
  EXPECT_EQ(s.document_entries(0).size(), 24);
  EXPECT_EQ(s.document_entries(1).size(), 34);
  EXPECT_EQ(s.document_entries(0).repository_unique_id(), "1.2.3.4.5.8.1");
  EXPECT_EQ(s.document_entries(0).reference_ids_size(), 1);
  EXPECT_EQ(s.folders(0).header().title(), "Discharge 2025-03-01");
  EXPECT_EQ(s.folders(0).codes_size(), 1);
  EXPECT_EQ(s.folders(0).header().nested_ids().type_classification(), "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4f02");
  EXPECT_EQ(s.submission_sets(0).intended_recipients_size(), 1);
  EXPECT_EQ(s.associations(4).target(), "Association04");

  ParsedSubmission second = EmitAndParse(s);
  EXPECT_TRUE(second.errors.empty()) << ErrorsToString(second.errors);
  ExpectEqualProto(s, second.submission);
}

TEST(RoundTrip, FullDocumentEntryWithExtraSlotSurvives) {
  Submission submission;
  *submission.add_document_entries() = FullDocumentEntry();
  std::string xml;
  ParsedSubmission parsed = EmitAndParse(submission, &xml);
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  ExpectEqualProto(submission, parsed.submission);
  // Escaped exactly once.
  EXPECT_NE(xml.find("P-1^^^&amp;1.2.3.4.5&amp;ISO"), std::string::npos);
  EXPECT_EQ(xml.find("&amp;amp;"), std::string::npos);
}

TEST(RoundTrip, SubmissionSetFolderAssociationAndObjectRef) {
  Submission submission;
  *submission.add_submission_sets() = FullSubmissionSet();
  *submission.add_folders() = FullFolder();
  Association a = FullAssociation();
  *a.add_documentation() = MakeCode("reason", "2.999.7", "Why", "urn:uuid:d4d4d4d4-0000-4000-8000-000000000002");
  Slot* extra = a.mutable_header()->add_extra_slots();
  extra->set_name("urn:example:note");
  extra->add_values("x");
  *submission.add_associations() = a;
  submission.add_object_refs("urn:uuid:e5e5e5e5-0000-4000-8000-000000000001");
  ParsedSubmission parsed = EmitAndParse(submission);
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  ExpectEqualProto(submission, parsed.submission);
}

// Values are written as text by the codec's own writer: markup characters, quotes, tabs,
// line ends and other control characters inside attribute values and element text must come
// back unchanged (as the character references XML 1.0 allows for them).
TEST(Emit, EscapesAttributeValuesAndText) {
  const std::string tricky = "A & B <c> \"d\" 'e'\nline\ttab\rcr]]>end";
  StoredQueryResponse response;
  response.mutable_response()->set_status(SUCCESS);
  DocumentEntry* de = response.add_document_entries();
  *de = FullDocumentEntry();
  de->mutable_header()->set_title(tricky);       // attribute (LocalizedString@value)
  de->mutable_header()->set_comments("x\x01y");  // control character
  de->set_legal_authenticator(tricky);           // element text (Slot Value)
  const std::string xml = AdhocQueryResponseXml(response);
  EXPECT_NE(xml.find("value=\"A &amp; B &lt;c&gt; &quot;d&quot; 'e'&#10;line&#9;tab&#13;cr]]&gt;end\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find(">A &amp; B &lt;c&gt; \"d\" 'e'\nline\ttab&#13;cr]]&gt;end<"), std::string::npos) << xml;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  StoredQueryResponse parsed = ParseAdhocQueryResponse(doc.document_element());
  ASSERT_EQ(parsed.document_entries_size(), 1);
  EXPECT_EQ(parsed.document_entries(0).header().title(), tricky);
  EXPECT_EQ(parsed.document_entries(0).header().comments(), "x\x01y");
  EXPECT_EQ(parsed.document_entries(0).legal_authenticator(), tricky);
}

// Every byte that needs a replacement, at every offset around the 16-byte blocks the
// escaper skips at once, in text and in attribute values, against a byte-by-byte reference.
TEST(Emit, EscapesEveryByteAtEveryOffset) {
  auto reference = [](const std::string& value, bool attribute) {
    std::string out;
    for (unsigned char c : value) {
      if (c == '&')
        out += "&amp;";
      else if (c == '<')
        out += "&lt;";
      else if (c == '>')
        out += "&gt;";
      else if (c == '"' && attribute)
        out += "&quot;";
      else if (c < 0x20 && (attribute || (c != '\t' && c != '\n')))
        out += "&#" + std::to_string(c) + ";";
      else
        out += static_cast<char>(c);
    }
    return out;
  };
  std::string specials = "&<>\"'\x7f\xc3";
  for (int c = 0; c < 0x20; ++c) specials += static_cast<char>(c);
  for (char special : specials) {
    for (size_t at = 0; at < 40; ++at) {
      const std::string value = std::string(at, 'a') + special + std::string(40 - at, 'b') + special;
      StoredQueryResponse response;
      response.mutable_response()->set_status(SUCCESS);
      DocumentEntry* de = response.add_document_entries();
      *de = FullDocumentEntry();
      de->mutable_header()->set_title(value);  // attribute (LocalizedString@value)
      de->set_legal_authenticator(value);      // element text (Slot Value)
      const std::string xml = AdhocQueryResponseXml(response);
      const std::string where =
          "byte " + std::to_string(static_cast<unsigned char>(special)) + " at " + std::to_string(at);
      EXPECT_NE(xml.find("value=\"" + reference(value, true) + "\""), std::string::npos) << where;
      EXPECT_NE(xml.find(">" + reference(value, false) + "<"), std::string::npos) << where;
    }
  }
}

TEST(Emit, SchemaOrderAndAttributes) {
  pugi::xml_document doc;
  pugi::xml_node list = doc.append_child("rim:RegistryObjectList");
  list.append_attribute("xmlns:rim") = vocab::kRimNs;
  AppendDocumentEntry(list, FullDocumentEntry());
  pugi::xml_node eo = list.first_child();
  EXPECT_STREQ(eo.name(), "rim:ExtrinsicObject");
  EXPECT_FALSE(eo.attribute("xmlns:rim")) << "rim already in scope; no redeclaration";
  EXPECT_STREQ(eo.attribute("status").value(), vocab::kStatusApproved);
  EXPECT_STREQ(eo.attribute("objectType").value(), vocab::kDocumentEntryStable);
  EXPECT_STREQ(eo.attribute("home").value(), "urn:oid:1.2.3.4.5.6");
  EXPECT_STREQ(eo.attribute("mimeType").value(), "text/plain");
  // Slot*, Name, Description, VersionInfo, Classification*, ExternalIdentifier*.
  std::vector<std::string> order;
  for (pugi::xml_node c : eo.children()) {
    if (order.empty() || order.back() != c.name()) order.push_back(c.name());
  }
  std::vector<std::string> expected = {"rim:Slot",        "rim:Name",           "rim:Description",
                                       "rim:VersionInfo", "rim:Classification", "rim:ExternalIdentifier"};
  EXPECT_EQ(order, expected);
  pugi::xml_node classification = eo.child("rim:Classification");
  EXPECT_STREQ(classification.attribute("objectType").value(), vocab::kClassificationType);
  EXPECT_STREQ(classification.attribute("classifiedObject").value(), "urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fc");
  pugi::xml_node ei = eo.child("rim:ExternalIdentifier");
  EXPECT_STREQ(ei.attribute("objectType").value(), vocab::kExternalIdentifierType);
  EXPECT_STREQ(ei.child("rim:Name").child("rim:LocalizedString").attribute("value").value(),
               "XDSDocumentEntry.patientId");
}

TEST(Emit, MissingNestedIdsGetFreshUuids) {
  DocumentEntry de = FullDocumentEntry();
  de.mutable_class_code()->clear_id();
  de.mutable_header()->clear_nested_ids();
  pugi::xml_document doc;
  pugi::xml_node list = doc.append_child("rim:RegistryObjectList");
  AppendDocumentEntry(list, de);
  AppendDocumentEntry(list, de);
  std::vector<std::string> ids;
  for (pugi::xml_node eo : list.children()) {
    for (pugi::xml_node c : eo.children()) {
      if (std::string(c.attribute("classificationScheme").value()) == vocab::kDeClassCode ||
          std::string(c.name()) == "rim:ExternalIdentifier") {
        ids.push_back(c.attribute("id").value());
      }
    }
  }
  ASSERT_EQ(ids.size(), 6u);
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(ids[i].rfind("urn:uuid:", 0), 0u) << ids[i];
    EXPECT_EQ(ids[i].size(), 45u) << ids[i];
    EXPECT_EQ(ids[i][23], '7') << "version 7: " << ids[i];
    for (size_t j = 0; j < i; ++j) EXPECT_NE(ids[i], ids[j]);
  }
}

// --- lenient parsing --------------------------------------------------------------------

TEST(ParseSubmitObjectsRequest, AnyPrefixAnyOrderTopLevelClassificationsAndWhitespace) {
  // Default namespace for rim, a different prefix for lcm, Name before Slot, the code and the
  // SubmissionSet node as top-level Classifications, padded ids and values.
  const std::string xml = R"(
<x:SubmitObjectsRequest xmlns:x="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">
 <RegistryObjectList xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
  <Association id=" as1 " associationType=" RPLC " sourceObject=" doc1 " targetObject="urn:uuid:aaaaaaaa-0000-4000-8000-000000000000"/>
  <ExtrinsicObject id=" doc1 " objectType="urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248" mimeType="text/plain">
   <Name><LocalizedString value=" Title "/></Name>
   <Slot name="size"><ValueList><Value> 42 </Value></ValueList></Slot>
   <ExternalIdentifier id="e1" registryObject="doc1" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value=" P-1^^^&amp;1.2.3.4.5&amp;ISO "/>
   <Slot name="urn:example:custom"><ValueList><Value>a</Value><Value>b</Value></ValueList></Slot>
   <Classification id="lm" classifiedObject="doc1" classificationNode="urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"/>
  </ExtrinsicObject>
  <Classification id="c1" classifiedObject=" doc1 " classificationScheme="urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a" nodeRepresentation="X">
   <Name><LocalizedString value="Display"/></Name>
   <Slot name="codingScheme"><ValueList><Value>1.2.3</Value></ValueList></Slot>
  </Classification>
  <Classification id="ssc" classifiedObject="ss1" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
  <RegistryPackage id="ss1"/>
  <ObjectRef id=" urn:uuid:aaaaaaaa-0000-4000-8000-000000000000 "/>
  <UnknownThing id="u"/>
  <Other xmlns="urn:example:foreign"/>
 </RegistryObjectList>
</x:SubmitObjectsRequest>)";
  ParsedSubmission parsed = ParseString(xml);
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  const Submission& s = parsed.submission;
  ASSERT_EQ(s.document_entries_size(), 1);
  const DocumentEntry& de = s.document_entries(0);
  EXPECT_EQ(de.header().entry_uuid(), "doc1");
  EXPECT_EQ(de.type(), ON_DEMAND);
  EXPECT_EQ(de.header().title(), "Title");
  EXPECT_EQ(de.size(), 42);
  EXPECT_EQ(de.patient_id(), "P-1^^^&1.2.3.4.5&ISO");
  EXPECT_TRUE(de.limited_metadata());
  EXPECT_EQ(de.class_code().code(), "X");
  EXPECT_EQ(de.class_code().scheme(), "1.2.3");
  EXPECT_EQ(de.class_code().display_name(), "Display");
  EXPECT_EQ(de.class_code().id(), "c1");
  ASSERT_EQ(de.header().extra_slots_size(), 1);
  EXPECT_EQ(de.header().extra_slots(0).name(), "urn:example:custom");
  EXPECT_EQ(de.header().extra_slots(0).values_size(), 2);
  ASSERT_EQ(s.submission_sets_size(), 1);
  EXPECT_EQ(s.submission_sets(0).header().nested_ids().type_classification(), "ssc");
  ASSERT_EQ(s.associations_size(), 1);
  EXPECT_EQ(s.associations(0).type(), vocab::kRplc);
  EXPECT_EQ(s.associations(0).source(), "doc1");
  ASSERT_EQ(s.object_refs_size(), 1);
  EXPECT_EQ(s.object_refs(0), "urn:uuid:aaaaaaaa-0000-4000-8000-000000000000");
}

TEST(ParseSubmitObjectsRequest, AcceptsProvideAndRegisterWrapper) {
  const std::string xml = "<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds='urn:ihe:iti:xds-b:2007'>" +
                          Wrap("<rim:ObjectRef id='urn:uuid:aaaaaaaa-0000-4000-8000-000000000000'/>") +
                          "<xds:Document id='x'>AAAA</xds:Document></xds:ProvideAndRegisterDocumentSetRequest>";
  ParsedSubmission parsed = ParseString(xml);
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  EXPECT_EQ(parsed.submission.object_refs_size(), 1);
}

TEST(ParseSubmitObjectsRequest, WrongNamespaceIsNotRim) {
  // Right local names, wrong namespace: nothing is metadata, no crash.
  ParsedSubmission parsed = ParseString(
      "<lcm:SubmitObjectsRequest xmlns:lcm='urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0'"
      " xmlns:rim='urn:example:not-rim'><rim:RegistryObjectList>"
      "<rim:ExtrinsicObject id='d'/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_NE(parsed.errors[0].context().find("RegistryObjectList"), std::string::npos);
  EXPECT_EQ(parsed.submission.document_entries_size(), 0);
}

// --- errors -------------------------------------------------------------------------------

TEST(ParseErrors, RegistryPackageWithoutClassification) {
  ParsedSubmission parsed = ParseString(Wrap("<rim:RegistryPackage id='pkg'/>"));
  EXPECT_TRUE(HasMetadataError(parsed.errors, "pkg", "classificationNode")) << ErrorsToString(parsed.errors);
  EXPECT_EQ(parsed.submission.submission_sets_size() + parsed.submission.folders_size(), 0);
}

TEST(ParseErrors, NonIntegerSize) {
  for (const char* bad : {"12kB", "-1", "1.5", "", "99999999999999999999999"}) {
    ParsedSubmission parsed =
        ParseString(Wrap(std::string("<rim:ExtrinsicObject id='d1'><rim:Slot name='size'><rim:ValueList><rim:Value>") +
                         bad + "</rim:Value></rim:ValueList></rim:Slot></rim:ExtrinsicObject>"));
    EXPECT_TRUE(HasMetadataError(parsed.errors, "d1", "size")) << bad << "\n" << ErrorsToString(parsed.errors);
    ASSERT_EQ(parsed.submission.document_entries_size(), 1);
    EXPECT_FALSE(parsed.submission.document_entries(0).has_size());
  }
}

TEST(ParseErrors, ClassificationPointingAtUnknownObject) {
  ParsedSubmission parsed =
      ParseString(Wrap("<rim:ExtrinsicObject id='d1'/>"
                       "<rim:Classification id='c9' classifiedObject='nowhere' nodeRepresentation='X'"
                       " classificationScheme='urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a'/>"));
  EXPECT_TRUE(HasMetadataError(parsed.errors, "c9", "nowhere")) << ErrorsToString(parsed.errors);
  EXPECT_FALSE(parsed.submission.document_entries(0).has_class_code());
}

TEST(ParseErrors, MultiValuedSingleSlot) {
  ParsedSubmission parsed =
      ParseString(Wrap("<rim:ExtrinsicObject id='d1'><rim:Slot name='creationTime'><rim:ValueList>"
                       "<rim:Value>20250101</rim:Value><rim:Value>20250102</rim:Value>"
                       "</rim:ValueList></rim:Slot></rim:ExtrinsicObject>"));
  EXPECT_TRUE(HasMetadataError(parsed.errors, "d1", "creationTime")) << ErrorsToString(parsed.errors);
}

TEST(ParseErrors, AllProblemsReportedNotJustTheFirst) {
  ParsedSubmission parsed =
      ParseString(Wrap("<rim:RegistryPackage id='pkg'/>"
                       "<rim:ExtrinsicObject id='d1' objectType='urn:uuid:00000000-0000-4000-8000-000000000000'>"
                       " <rim:Slot name='size'><rim:ValueList><rim:Value>big</rim:Value></rim:ValueList></rim:Slot>"
                       " <rim:Slot "
                       "name='hash'><rim:ValueList><rim:Value>a</rim:Value><rim:Value>b</rim:Value></"
                       "rim:ValueList></rim:Slot>"
                       " <rim:Slot name='hash'><rim:ValueList><rim:Value>c</rim:Value></rim:ValueList></rim:Slot>"
                       " <rim:ExternalIdentifier id='e1' registryObject='d1' "
                       "identificationScheme='urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab'/>"
                       " <rim:Classification id='c2' classifiedObject='other' "
                       "classificationScheme='urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a' "
                       "nodeRepresentation='x'/>"
                       " <rim:Classification id='c3' classifiedObject='d1' "
                       "classificationScheme='urn:uuid:f0306f51-975f-434e-a61c-c59651d33983' "
                       "nodeRepresentation='a'/>"
                       " <rim:Classification id='c4' classifiedObject='d1' "
                       "classificationScheme='urn:uuid:f0306f51-975f-434e-a61c-c59651d33983' "
                       "nodeRepresentation='b'/>"
                       "</rim:ExtrinsicObject>"
                       "<rim:ExtrinsicObject id='d1'/>"
                       "<rim:Association id='a1' sourceObject='pkg'/>"
                       "<rim:Classification id='c1' classifiedObject='ghost' "
                       "classificationNode='urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd'/>"));
  const auto& e = parsed.errors;
  EXPECT_TRUE(HasMetadataError(e, "pkg", "RegistryPackage pkg")) << ErrorsToString(e);
  EXPECT_TRUE(HasMetadataError(e, "d1", "objectType"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "Slot size value 'big'"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "Slot hash has 2 values"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "Slot hash appears more than once"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "ExternalIdentifier e1, uniqueId: missing attribute value"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "classifiedObject other does not match"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "more than one typeCode"));
  EXPECT_TRUE(HasMetadataError(e, "d1", "id is used by more than one object"));
  EXPECT_TRUE(HasMetadataError(e, "a1", "missing attribute associationType"));
  EXPECT_TRUE(HasMetadataError(e, "a1", "missing attribute targetObject"));
  EXPECT_TRUE(HasMetadataError(e, "c1", "ghost"));
  EXPECT_EQ(e.size(), 12u) << ErrorsToString(e);
}

TEST(ParseErrors, NotASubmitObjectsRequest) {
  ParsedSubmission parsed = ParseString("<foo/>");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].code(), "XDSRegistryMetadataError");
}

// --- association types --------------------------------------------------------------------

TEST(NormalizeAssociationType, ShortNamesBecomeUrns) {
  EXPECT_EQ(NormalizeAssociationType("HasMember"), vocab::kHasMember);
  EXPECT_EQ(NormalizeAssociationType("RPLC"), vocab::kRplc);
  EXPECT_EQ(NormalizeAssociationType("APND"), vocab::kApnd);
  EXPECT_EQ(NormalizeAssociationType("XFRM"), vocab::kXfrm);
  EXPECT_EQ(NormalizeAssociationType("XFRM_RPLC"), vocab::kXfrmRplc);
  EXPECT_EQ(NormalizeAssociationType("signs"), vocab::kSigns);
  EXPECT_EQ(NormalizeAssociationType("IsSnapshotOf"), vocab::kIsSnapshotOf);
  EXPECT_EQ(NormalizeAssociationType(vocab::kRplc), vocab::kRplc);
  EXPECT_EQ(NormalizeAssociationType("urn:example:Custom"), "urn:example:Custom");
  EXPECT_EQ(NormalizeAssociationType("Unknown"), "Unknown");
}

TEST(StatusUrns, Values) {
  EXPECT_EQ(StatusUrn(APPROVED), vocab::kStatusApproved);
  EXPECT_EQ(StatusUrn(DEPRECATED), vocab::kStatusDeprecated);
  EXPECT_EQ(StatusUrn(AVAILABILITY_STATUS_UNSPECIFIED), "");
  EXPECT_EQ(ResponseStatusUrn(SUCCESS), vocab::kResponseSuccess);
  EXPECT_EQ(ResponseStatusUrn(FAILURE), vocab::kResponseFailure);
  EXPECT_EQ(ResponseStatusUrn(PARTIAL_SUCCESS), vocab::kResponsePartialSuccess);
}

// --- stored query request ---------------------------------------------------------------

TEST(ParseAdhocQueryRequest, IheExampleWithPaddedQueryId) {
  std::string path = IheExample("RegistryStoredQueryRequest.xml");
  SKIP_UNLESS_EXISTS(path);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(path.c_str()));
  ParsedQuery parsed = ParseAdhocQueryRequest(doc.document_element());
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  EXPECT_EQ(parsed.request.query_id(), "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  EXPECT_EQ(parsed.request.return_type(), LEAF_CLASS);
  ASSERT_EQ(parsed.request.parameters_size(), 5);
  EXPECT_EQ(parsed.request.parameters(0).name(), "$XDSDocumentEntryPatientId");
  ASSERT_EQ(parsed.request.parameters(0).values_size(), 1);
  EXPECT_EQ(parsed.request.parameters(0).values(0), "st3498702^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  EXPECT_EQ(parsed.request.parameters(1).values(0), "('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Approved')");
  EXPECT_EQ(parsed.request.parameters(4).name(), "$XDSDocumentEntryHealthcareFacilityTypeCode");
}

TEST(ParseAdhocQueryRequest, ObjectRefRepeatedSlotsAndHome) {
  const std::string xml = R"(
<q:AdhocQueryRequest xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:r="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
 <q:ResponseOption returnType="ObjectRef"/>
 <r:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d" home="urn:oid:1.2.3">
  <r:Slot name="$XDSDocumentEntryEventCodeList"><r:ValueList><r:Value>('a^^1')</r:Value><r:Value>('b^^1')</r:Value></r:ValueList></r:Slot>
  <r:Slot name="$XDSDocumentEntryEventCodeList"><r:ValueList><r:Value>('c^^1')</r:Value></r:ValueList></r:Slot>
 </r:AdhocQuery>
</q:AdhocQueryRequest>)";
  pugi::xml_document doc;
  Load(&doc, xml);
  ParsedQuery parsed = ParseAdhocQueryRequest(doc.document_element());
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  EXPECT_EQ(parsed.request.return_type(), OBJECT_REF);
  EXPECT_EQ(parsed.request.home(), "urn:oid:1.2.3");
  ASSERT_EQ(parsed.request.parameters_size(), 2);
  EXPECT_EQ(parsed.request.parameters(0).values_size(), 2);
  EXPECT_EQ(parsed.request.parameters(0).values(1), "('b^^1')");
  EXPECT_EQ(parsed.request.parameters(1).values(0), "('c^^1')");
}

TEST(ParseAdhocQueryRequest, UnknownReturnTypeFallsBackWithWarning) {
  pugi::xml_document doc;
  Load(&doc,
       "<q:AdhocQueryRequest xmlns:q='urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0'"
       " xmlns:rim='urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'>"
       "<q:ResponseOption returnType='RegistryObject'/><rim:AdhocQuery "
       "id='q'/></q:AdhocQueryRequest>");
  ParsedQuery parsed = ParseAdhocQueryRequest(doc.document_element());
  EXPECT_EQ(parsed.request.return_type(), LEAF_CLASS);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].severity(), WARNING);
  EXPECT_NE(parsed.errors[0].context().find("RegistryObject"), std::string::npos);
}

TEST(ParseAdhocQueryRequest, MissingAdhocQueryIsAnError) {
  pugi::xml_document doc;
  Load(&doc,
       "<q:AdhocQueryRequest xmlns:q='urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0'>"
       "<q:ResponseOption returnType='LeafClass'/></q:AdhocQueryRequest>");
  ParsedQuery parsed = ParseAdhocQueryRequest(doc.document_element());
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].severity(), ERROR);
  EXPECT_NE(parsed.errors[0].context().find("AdhocQuery"), std::string::npos);
}

TEST(RoundTrip, AdhocQueryRequest) {
  StoredQueryRequest request;
  request.set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  request.set_return_type(OBJECT_REF);
  request.set_home("urn:oid:1.2.3");
  QueryParameter* p = request.add_parameters();
  p->set_name("$XDSDocumentEntryPatientId");
  p->add_values("'P-1^^^&1.2.3.4.5&ISO'");
  p = request.add_parameters();
  p->set_name("$XDSDocumentEntryStatus");
  p->add_values("('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')");
  pugi::xml_document doc;
  AppendAdhocQueryRequest(doc, request);
  pugi::xml_document reparsed;
  Load(&reparsed, Serialize(doc));
  ParsedQuery parsed = ParseAdhocQueryRequest(reparsed.document_element());
  EXPECT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  ExpectEqualProto(request, parsed.request);
}

// --- responses ----------------------------------------------------------------------------

RegistryResponse FailureResponse() {
  RegistryResponse response;
  response.set_status(FAILURE);
  RegistryError* e = response.add_errors();
  e->set_code("XDSUnknownPatientId");
  e->set_context("Unknown patient P-1^^^&1.2.3.4.5&ISO");
  e->set_severity(ERROR);
  e = response.add_errors();
  e->set_code("XDSExtraMetadataNotSaved");
  e->set_context("Slot urn:example:x not saved");
  e->set_location("Document01");
  e->set_severity(WARNING);
  return response;
}

TEST(RegistryResponse, SuccessHasNoErrorList) {
  RegistryResponse response;
  response.set_status(SUCCESS);
  pugi::xml_document doc;
  AppendRegistryResponse(doc, response);
  pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.name(), "rs:RegistryResponse");
  EXPECT_STREQ(root.attribute("xmlns:rs").value(), vocab::kRsNs);
  EXPECT_STREQ(root.attribute("status").value(), vocab::kResponseSuccess);
  EXPECT_FALSE(root.first_child());
  ExpectEqualProto(response, ParseRegistryResponse(root));
}

// A response or error nobody filled in must never read as an error-free Success.
TEST(RegistryResponse, UnfilledResponseAndErrorReadAsFailureAndError) {
  RegistryResponse response;
  response.add_errors()->set_code("XDSRegistryError");
  pugi::xml_document doc;
  AppendRegistryResponse(doc, response);
  pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.attribute("status").value(), vocab::kResponseFailure);
  pugi::xml_node list = root.first_child();
  EXPECT_STREQ(list.attribute("highestSeverity").value(), vocab::kSeverityError);
  EXPECT_STREQ(list.first_child().attribute("severity").value(), vocab::kSeverityError);
}

TEST(RegistryResponse, ErrorsRoundTripWithSeverities) {
  RegistryResponse response = FailureResponse();
  pugi::xml_document doc;
  AppendRegistryResponse(doc, response);
  pugi::xml_node list = doc.document_element().first_child();
  EXPECT_STREQ(list.attribute("highestSeverity").value(), vocab::kSeverityError);
  pugi::xml_node first = list.first_child();
  EXPECT_FALSE(first.attribute("location")) << "empty location is omitted";
  EXPECT_STREQ(first.attribute("severity").value(), vocab::kSeverityError);
  EXPECT_STREQ(first.next_sibling().attribute("severity").value(), vocab::kSeverityWarning);
  pugi::xml_document reparsed;
  Load(&reparsed, Serialize(doc));
  ExpectEqualProto(response, ParseRegistryResponse(reparsed.document_element()));
}

TEST(RegistryResponse, WarningsOnlyHighestSeverityWarning) {
  std::vector<RegistryError> errors(1);
  errors[0].set_code("XDSExtraMetadataNotSaved");
  errors[0].set_context("c");
  errors[0].set_severity(WARNING);
  pugi::xml_document doc;
  AppendRegistryErrorList(doc, errors);
  EXPECT_STREQ(doc.document_element().attribute("highestSeverity").value(), vocab::kSeverityWarning);
}

TEST(RegistryResponse, IheSampleWithBareStatus) {
  std::string path = IheExample("RegisterDocumentSet-bResponse.xml");
  SKIP_UNLESS_EXISTS(path);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(path.c_str()));
  RegistryResponse response = ParseRegistryResponse(doc.document_element());
  EXPECT_EQ(response.status(), SUCCESS);
  EXPECT_EQ(response.errors_size(), 0);
}

StoredQueryResponse LeafClassResponse() {
  StoredQueryResponse response;
  response.mutable_response()->set_status(SUCCESS);
  *response.add_document_entries() = FullDocumentEntry();
  *response.add_submission_sets() = FullSubmissionSet();
  *response.add_folders() = FullFolder();
  *response.add_associations() = FullAssociation();
  return response;
}

TEST(AdhocQueryResponse, LeafClassRoundTrip) {
  StoredQueryResponse response = LeafClassResponse();
  pugi::xml_document doc;
  AppendAdhocQueryResponse(doc, response);
  pugi::xml_document reparsed;
  Load(&reparsed, Serialize(doc));
  ExpectEqualProto(response, ParseAdhocQueryResponse(reparsed.document_element()));
}

TEST(AdhocQueryResponse, ObjectRefsAndEmptyList) {
  StoredQueryResponse response;
  response.mutable_response()->set_status(PARTIAL_SUCCESS);
  *response.mutable_response()->add_errors() = FailureResponse().errors(0);
  response.add_object_refs("urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fc");
  response.add_object_refs("urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fd");
  pugi::xml_document doc;
  AppendAdhocQueryResponse(doc, response);
  pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.first_child().name(), "rs:RegistryErrorList");
  EXPECT_STREQ(root.last_child().name(), "rim:RegistryObjectList");
  EXPECT_STREQ(root.last_child().first_child().name(), "rim:ObjectRef");
  ExpectEqualProto(response, ParseAdhocQueryResponse(root));

  StoredQueryResponse empty;
  pugi::xml_document empty_doc;
  AppendAdhocQueryResponse(empty_doc, empty);
  EXPECT_TRUE(empty_doc.document_element().child("rim:RegistryObjectList"));
  EXPECT_FALSE(empty_doc.document_element().child("rs:RegistryErrorList"));
}

// --- schema validation --------------------------------------------------------------------

TEST(SchemaValidation, RegistryResponseSuccessAndFailure) {
  SKIP_UNLESS_SCHEMAS();
  RegistryResponse success;
  pugi::xml_document ok;
  AppendRegistryResponse(ok, success);
  EXPECT_EQ(ValidateWithXmllint(Serialize(ok), "rs.xsd", "rr_success"), 0);
  pugi::xml_document failure;
  AppendRegistryResponse(failure, FailureResponse());
  EXPECT_EQ(ValidateWithXmllint(Serialize(failure), "rs.xsd", "rr_failure"), 0);
}

TEST(SchemaValidation, AdhocQueryResponseLeafClassAndObjectRef) {
  SKIP_UNLESS_SCHEMAS();
  StoredQueryResponse leaf = LeafClassResponse();
  *leaf.mutable_response()->add_errors() = FailureResponse().errors(1);
  pugi::xml_document leaf_doc;
  AppendAdhocQueryResponse(leaf_doc, leaf);
  EXPECT_EQ(ValidateWithXmllint(Serialize(leaf_doc), "query.xsd", "aqr_leaf"), 0);

  StoredQueryResponse refs;
  refs.add_object_refs("urn:uuid:3507cc1d-2fb7-434b-adb5-589c6ff7d7fc");
  pugi::xml_document refs_doc;
  AppendAdhocQueryResponse(refs_doc, refs);
  EXPECT_EQ(ValidateWithXmllint(Serialize(refs_doc), "query.xsd", "aqr_refs"), 0);
}

TEST(SchemaValidation, SubmitObjectsRequestAndAdhocQueryRequest) {
  SKIP_UNLESS_SCHEMAS();
  pugi::xml_document fixture;
  ASSERT_TRUE(fixture.load_file("tests/fixtures/iti42/submission_two_docs_folder.xml"));
  ParsedSubmission parsed = ParseSubmitObjectsRequest(fixture.document_element());
  ASSERT_TRUE(parsed.errors.empty()) << ErrorsToString(parsed.errors);
  Submission submission = parsed.submission;
  *submission.add_document_entries() = FullDocumentEntry();
  submission.add_object_refs("urn:uuid:e5e5e5e5-0000-4000-8000-000000000001");
  pugi::xml_document doc;
  AppendSubmitObjectsRequest(doc, submission);
  EXPECT_EQ(ValidateWithXmllint(Serialize(doc), "lcm.xsd", "sor"), 0);

  StoredQueryRequest request;
  request.set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  QueryParameter* p = request.add_parameters();
  p->set_name("$XDSDocumentEntryPatientId");
  p->add_values("'P-1^^^&1.2.3.4.5&ISO'");
  pugi::xml_document query_doc;
  AppendAdhocQueryRequest(query_doc, request);
  EXPECT_EQ(ValidateWithXmllint(Serialize(query_doc), "query.xsd", "aqreq"), 0);
}

TEST(NewUuidUrn, IsVersion7AndSortsByCreationTime) {
  std::string first = NewUuidUrn();
  ASSERT_EQ(first.size(), 45u);  // urn:uuid: + 36
  EXPECT_EQ(first.substr(0, 9), "urn:uuid:");
  EXPECT_EQ(first[9 + 14], '7');                                          // version nibble
  EXPECT_NE(std::string("89ab").find(first[9 + 19]), std::string::npos);  // RFC variant
  struct timespec pause = {0, 3 * 1000 * 1000};
  nanosleep(&pause, nullptr);
  std::string second = NewUuidUrn();
  EXPECT_LT(first, second);  // a later millisecond sorts after
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace xds::ebrim
