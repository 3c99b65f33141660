// The real xds-registry binary on 127.0.0.1, spoken to over SOAP (ITI-42, ITI-18) and gRPC.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "proto/registry_service.grpc.pb.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/net/http_client.h"
#include "tests/e2e/support.h"

namespace xds::testing {
namespace {

constexpr char kAuthority[] = "1.2.3.4.5";
constexpr char kFixture[] = "tests/fixtures/iti42/submission_two_docs_folder.xml";

std::string Patient(const std::string& id) { return id + "^^^&" + kAuthority + "&ISO"; }

// Gives the fixture submission fresh uniqueIds and the patient `patient`, so that tests
// never collide with each other's registrations.
std::string Freshen(const std::string& xml, const std::string& patient) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='ExternalIdentifier']")) {
    std::string scheme = n.node().attribute("identificationScheme").value();
    if (scheme == vocab::kDeUniqueId || scheme == vocab::kSsUniqueId || scheme == vocab::kFdUniqueId) {
      n.node().attribute("value") = FreshOid().c_str();
    }
    if (scheme == vocab::kDePatientId || scheme == vocab::kSsPatientId || scheme == vocab::kFdPatientId) {
      n.node().attribute("value") = patient.c_str();
    }
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = TempDir();
    Start();
  }

  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--data_dir=" + data_, "--http_port=0", "--grpc_port=0",
                                     std::string("--patient_authority=") + kAuthority};
    args.insert(args.end(), extra.begin(), extra.end());
    registry_ = std::make_unique<Process>("registry/xds-registry", args, data_ + "/ports", data_ + "/registry.log");
    ASSERT_GT(registry_->http_port(), 0) << "registry did not start";
    url_ = "http://127.0.0.1:" + std::to_string(registry_->http_port()) + "/xds/registry";
    client_ = std::make_unique<http::Client>(*http::ParseUrl(url_));
    stub_ = RegistryService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(registry_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  void AddPatient(const std::string& pid) {
    grpc::ClientContext context;
    xds::Patient p;
    p.set_id(pid);
    AddPatientResponse response;
    ASSERT_TRUE(stub_->AddPatient(&context, p, &response).ok());
  }

  http::Response Post(const std::string& action, const std::string& body_xml) {
    auto r = client_->Post("application/soap+xml; charset=UTF-8", http::SoapEnvelope(action, url_, body_xml));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::Response{0, "", ""};
  }

  RegistryResult Register(const std::string& submit_objects_request) {
    http::Response r = Post(vocab::kActionRegister, submit_objects_request);
    EXPECT_EQ(r.status, 200);
    RegistryResult result = ParseRegistryResult(r.body);
    EXPECT_EQ(SchemaErrors(result.body, "ebRS/rs.xsd"), "") << result.body;
    return result;
  }

  // Number of objects of `patient` of every kind, via GetAll with ObjectRef (ITI-18).
  int CountObjects(const std::string& patient) {
    std::string query =
        std::string(
            "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
            "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
            "<query:ResponseOption returnType=\"ObjectRef\" returnComposedObjects=\"true\"/>"
            "<rim:AdhocQuery id=\"urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3\">"
            "<rim:Slot name=\"$patientId\"><rim:ValueList><rim:Value>'") +
        patient +
        "'</rim:Value></rim:ValueList></rim:Slot>"
        "<rim:Slot "
        "name=\"$XDSDocumentEntryStatus\"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:"
        "Approved','urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')</rim:Value></rim:ValueList></rim:Slot>"
        "<rim:Slot "
        "name=\"$XDSSubmissionSetStatus\"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:"
        "Approved')</rim:Value></rim:ValueList></rim:Slot>"
        "<rim:Slot "
        "name=\"$XDSFolderStatus\"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</"
        "rim:Value></rim:ValueList></rim:Slot>"
        "</rim:AdhocQuery></query:AdhocQueryRequest>";
    http::Response r = Post(vocab::kActionStoredQuery, query);
    std::string body = BodyElement(r.body);
    EXPECT_EQ(SchemaErrors(body, "ebRS/query.xsd"), "") << body;
    pugi::xml_document doc;
    doc.load_string(body.c_str());
    EXPECT_NE(std::string(doc.document_element().attribute("status").value()).find("Success"), std::string::npos)
        << body;
    return static_cast<int>(doc.select_nodes("//*[local-name()='ObjectRef']").size());
  }

  std::string Fixture() { return ReadFile(kFixture); }

  std::string data_;
  std::string url_;
  std::unique_ptr<Process> registry_;
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<RegistryService::Stub> stub_;
};

// Every way in passes the registry's CallGate: a refused ITI-42 over SOAP and over gRPC, and
// a refused admission over gRPC, each leave the gate's line naming the transaction, the
// caller's address and the XDS code; the detail stays in the log.
TEST_F(RegistryTest, EveryWayInPassesTheCallGate) {
  std::string pid = Patient("NOT-ADMITTED");
  EXPECT_EQ(Register(Freshen(Fixture(), pid)).status, "Failure");

  RegisterRequest request;
  request.mutable_submission()->add_submission_sets()->set_patient_id(pid);
  grpc::ClientContext register_context;
  RegistryResponse response;
  ASSERT_TRUE(stub_->Register(&register_context, request, &response).ok());
  EXPECT_EQ(response.status(), FAILURE);

  grpc::ClientContext add_context;
  xds::Patient bad;
  bad.set_id("not a CX id");
  AddPatientResponse added;
  EXPECT_EQ(stub_->AddPatient(&add_context, bad, &added).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  registry_->Stop();
  std::string log = ReadFile(data_ + "/registry.log");
  EXPECT_NE(log.find("ITI-42 from 127.0.0.1:"), std::string::npos) << log;  // SOAP
  EXPECT_NE(log.find("failed (XDSUnknownPatientId"), std::string::npos) << log;
  EXPECT_NE(log.find("ITI-42 from ipv4:127.0.0.1:"), std::string::npos) << log;  // gRPC
  EXPECT_NE(log.find("AddPatient from ipv4:127.0.0.1:"), std::string::npos) << log;
}

TEST_F(RegistryTest, AcceptsSubmissionSetTwoDocumentsAndFolder) {
  std::string pid = Patient("ACCEPT1");
  AddPatient(pid);
  RegistryResult r = Register(Freshen(Fixture(), pid));
  EXPECT_EQ(r.status, "Success") << r.body;
  EXPECT_TRUE(r.codes.empty());
  // SubmissionSet, two DocumentEntries, Folder and the associations are all there.
  EXPECT_GE(CountObjects(pid), 4 + 3);
}

// The service re-executes itself once at startup to give glibc its malloc tunables (see
// http::TuneMalloc); the process serving here must be that one, with the same pid.
TEST_F(RegistryTest, ServesWithItsMallocTunables) {
  std::string env = ReadFile("/proc/" + std::to_string(registry_->pid()) + "/environ");
  EXPECT_NE(env.find(std::string("GLIBC_TUNABLES=glibc.malloc.tcache_count=1000") + '\0'), std::string::npos);
  EXPECT_GE(CountObjects(Patient("TUNED")), 0);
}

TEST_F(RegistryTest, UnknownPatientIsRefusedAndNothingStored) {
  std::string pid = Patient("NOBODY");
  RegistryResult r = Register(Freshen(Fixture(), pid));
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSUnknownPatientId"), r.codes.end()) << r.body;
  AddPatient(pid);
  EXPECT_EQ(CountObjects(pid), 0);
}

TEST_F(RegistryTest, PatientMismatchInsideSubmission) {
  std::string pid = Patient("MISMATCH1"), other = Patient("MISMATCH2");
  AddPatient(pid);
  AddPatient(other);
  std::string xml = Freshen(Fixture(), pid);
  // Move the first DocumentEntry to another patient.
  pugi::xml_document doc;
  doc.load_string(xml.c_str());
  pugi::xpath_node de_pid = doc.select_node(
      ("//*[local-name()='ExternalIdentifier'][@identificationScheme='" + std::string(vocab::kDePatientId) + "']")
          .c_str());
  ASSERT_TRUE(de_pid);
  de_pid.node().attribute("value") = other.c_str();
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSPatientIdDoesNotMatch"), r.codes.end()) << r.body;
  EXPECT_EQ(CountObjects(pid), 0);
  EXPECT_EQ(CountObjects(other), 0);
}

TEST_F(RegistryTest, SameDocumentUniqueIdWithOtherHashIsRefused) {
  std::string pid = Patient("HASH1");
  AddPatient(pid);
  std::string first = Freshen(Fixture(), pid);
  ASSERT_EQ(Register(first).status, "Success");
  int before = CountObjects(pid);
  // Same DocumentEntry uniqueIds, new SubmissionSet/Folder uniqueIds, different hash.
  pugi::xml_document doc;
  doc.load_string(first.c_str());
  for (const char* scheme : {vocab::kSsUniqueId, vocab::kFdUniqueId}) {
    for (auto n : doc.select_nodes(("//*[@identificationScheme='" + std::string(scheme) + "']").c_str()))
      n.node().attribute("value") = FreshOid().c_str();
  }
  for (auto n : doc.select_nodes("//*[local-name()='Slot'][@name='hash']//*[local-name()='Value']"))
    n.node().text() = "0000000000000000000000000000000000000000";
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSNonIdenticalHash"), r.codes.end()) << r.body;
  EXPECT_EQ(CountObjects(pid), before);
}

TEST_F(RegistryTest, SameDocumentUniqueIdWithOtherSizeIsRefused) {
  std::string pid = Patient("SIZE1");
  AddPatient(pid);
  std::string first = Freshen(Fixture(), pid);
  ASSERT_EQ(Register(first).status, "Success");
  int before = CountObjects(pid);
  pugi::xml_document doc;
  doc.load_string(first.c_str());
  for (const char* scheme : {vocab::kSsUniqueId, vocab::kFdUniqueId}) {
    for (auto n : doc.select_nodes(("//*[@identificationScheme='" + std::string(scheme) + "']").c_str()))
      n.node().attribute("value") = FreshOid().c_str();
  }
  for (auto n : doc.select_nodes("//*[local-name()='Slot'][@name='size']//*[local-name()='Value']"))
    n.node().text() = "999999";
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSNonIdenticalSize"), r.codes.end()) << r.body;
  EXPECT_EQ(CountObjects(pid), before);
}

TEST_F(RegistryTest, SameDocumentUniqueIdWithSameHashAndSizeIsAccepted) {
  std::string pid = Patient("COPY1");
  AddPatient(pid);
  std::string first = Freshen(Fixture(), pid);
  ASSERT_EQ(Register(first).status, "Success");
  int before = CountObjects(pid);
  // A copy of the same documents (e.g. held by a second repository): new SubmissionSet and
  // Folder, same DocumentEntry uniqueIds, hash and size (TF-2 3.42.4.1.3.3).
  pugi::xml_document doc;
  doc.load_string(first.c_str());
  for (const char* scheme : {vocab::kSsUniqueId, vocab::kFdUniqueId}) {
    for (auto n : doc.select_nodes(("//*[@identificationScheme='" + std::string(scheme) + "']").c_str()))
      n.node().attribute("value") = FreshOid().c_str();
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  EXPECT_EQ(Register(out.str()).status, "Success");
  EXPECT_EQ(CountObjects(pid), 2 * before);
}

TEST_F(RegistryTest, MtomPackagedRegisterIsAcceptedAndAnsweredInMtom) {
  std::string pid = Patient("MTOM1");
  AddPatient(pid);
  std::string content_type;
  std::string body = mime::BuildMtom(http::SoapEnvelope(vocab::kActionRegister, url_, Freshen(Fixture(), pid)), {},
                                     vocab::kActionRegister, &content_type);
  auto r = client_->Post(content_type, body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  // Request and response of a transaction use the same encoding (ITI TF-2 Appendix V.8.1).
  auto ct = mime::ParseContentType(r->content_type);
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->type, "multipart/related");
  auto parts = mime::ParseMultipart(r->body, *ct);
  ASSERT_TRUE(parts.ok()) << parts.status();
  RegistryResult result = ParseRegistryResult(std::string(parts->parts[parts->root_index].body));
  EXPECT_EQ(result.status, "Success") << result.body;
  EXPECT_EQ(SchemaErrors(result.body, "ebRS/rs.xsd"), "");
  EXPECT_GE(CountObjects(pid), 7);
}

TEST_F(RegistryTest, ReusedSubmissionSetUniqueIdIsRefused) {
  std::string pid = Patient("DUP1");
  AddPatient(pid);
  std::string first = Freshen(Fixture(), pid);
  ASSERT_EQ(Register(first).status, "Success");
  int before = CountObjects(pid);
  // Fresh DocumentEntry and Folder uniqueIds, the same SubmissionSet uniqueId.
  pugi::xml_document doc;
  doc.load_string(first.c_str());
  for (const char* scheme : {vocab::kDeUniqueId, vocab::kFdUniqueId}) {
    for (auto n : doc.select_nodes(("//*[@identificationScheme='" + std::string(scheme) + "']").c_str()))
      n.node().attribute("value") = FreshOid().c_str();
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSDuplicateUniqueIdInRegistry"), r.codes.end()) << r.body;
  EXPECT_EQ(CountObjects(pid), before);
}

TEST_F(RegistryTest, AssociationToUnknownObjectIsRefused) {
  std::string pid = Patient("ASSOC1");
  AddPatient(pid);
  std::string xml = Freshen(Fixture(), pid);
  // An extra APND association to an entryUUID that exists nowhere.
  pugi::xml_document doc;
  doc.load_string(xml.c_str());
  pugi::xml_node list = doc.select_node("//*[local-name()='RegistryObjectList']").node();
  pugi::xml_node de = doc.select_node("//*[local-name()='ExtrinsicObject']").node();
  std::string prefix = std::string(list.name()).substr(0, std::string(list.name()).find(':') + 1);
  pugi::xml_node as = list.append_child((prefix + "Association").c_str());
  as.append_attribute("id") = "DanglingAssociation";
  as.append_attribute("associationType") = vocab::kApnd;
  as.append_attribute("sourceObject") = de.attribute("id").value();
  as.append_attribute("targetObject") = "urn:uuid:00000000-0000-4000-8000-000000000001";
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "UnresolvedReferenceException"), r.codes.end()) << r.body;
  EXPECT_EQ(CountObjects(pid), 0);
}

TEST_F(RegistryTest, FolderOfAnotherPatientIsRefusedWithoutNamingThatPatient) {
  std::string a = Patient("LEAK-A"), b = Patient("LEAK-B");
  AddPatient(a);
  AddPatient(b);
  ASSERT_EQ(Register(Freshen(Fixture(), a)).status, "Success");
  // Patient A's Folder, found by FindFolders.
  std::string query = std::string(
                          "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
                          "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
                          "<query:ResponseOption returnType=\"ObjectRef\"/>"
                          "<rim:AdhocQuery id=\"urn:uuid:958f3006-baad-4929-a4de-ff1114824431\">"
                          "<rim:Slot name=\"$XDSFolderPatientId\"><rim:ValueList><rim:Value>'") +
                      a +
                      "'</rim:Value></rim:ValueList></rim:Slot>"
                      "<rim:Slot "
                      "name=\"$XDSFolderStatus\"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:"
                      "StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot>"
                      "</rim:AdhocQuery></query:AdhocQueryRequest>";
  pugi::xml_document answer;
  answer.load_string(BodyElement(Post(vocab::kActionStoredQuery, query).body).c_str());
  std::string folder = answer.select_node("//*[local-name()='ObjectRef']").node().attribute("id").value();
  ASSERT_FALSE(folder.empty());
  // Patient B's submission also files B's first document into A's Folder.
  pugi::xml_document doc;
  doc.load_string(Freshen(Fixture(), b).c_str());
  pugi::xml_node list = doc.select_node("//*[local-name()='RegistryObjectList']").node();
  std::string document = doc.select_node("//*[local-name()='ExtrinsicObject']").node().attribute("id").value();
  std::string set = doc.select_node("//*[local-name()='RegistryPackage']").node().attribute("id").value();
  std::string prefix = std::string(list.name()).substr(0, std::string(list.name()).find(':') + 1);
  pugi::xml_node member = list.append_child((prefix + "Association").c_str());
  member.append_attribute("id") = "IntoForeignFolder";
  member.append_attribute("associationType") = vocab::kHasMember;
  member.append_attribute("sourceObject") = folder.c_str();
  member.append_attribute("targetObject") = document.c_str();
  pugi::xml_node recorded = list.append_child((prefix + "Association").c_str());
  recorded.append_attribute("id") = "RecordedInSet";
  recorded.append_attribute("associationType") = vocab::kHasMember;
  recorded.append_attribute("sourceObject") = set.c_str();
  recorded.append_attribute("targetObject") = "IntoForeignFolder";
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSPatientIdDoesNotMatch"), r.codes.end()) << r.body;
  EXPECT_EQ(r.body.find("LEAK-A"), std::string::npos) << "another patient's id leaked: " << r.body;
  EXPECT_EQ(CountObjects(b), 0);
}

TEST_F(RegistryTest, MissingRepositoryAttributesAreAllReported) {
  std::string pid = Patient("MISSING1");
  AddPatient(pid);
  pugi::xml_document doc;
  doc.load_string(Freshen(Fixture(), pid).c_str());
  for (const char* slot : {"hash", "size", "repositoryUniqueId"}) {
    for (auto n : doc.select_nodes(("//*[local-name()='Slot'][@name='" + std::string(slot) + "']").c_str()))
      n.node().parent().remove_child(n.node());
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  // Three attributes on two DocumentEntries: every one is reported.
  EXPECT_GE(std::count(r.codes.begin(), r.codes.end(), "XDSRegistryMetadataError"), 6) << r.body;
  EXPECT_EQ(CountObjects(pid), 0);
}

TEST_F(RegistryTest, ContentAndRegistryErrorsAreReportedTogether) {
  std::string pid = Patient("NOBODY2");  // not admitted: XDSUnknownPatientId
  pugi::xml_document doc;
  doc.load_string(Freshen(Fixture(), pid).c_str());
  for (auto n : doc.select_nodes("//*[local-name()='Slot'][@name='hash']")) n.node().parent().remove_child(n.node());
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  RegistryResult r = Register(out.str());
  EXPECT_EQ(r.status, "Failure");
  EXPECT_GE(std::count(r.codes.begin(), r.codes.end(), "XDSRegistryMetadataError"), 2) << r.body;
  EXPECT_NE(std::find(r.codes.begin(), r.codes.end(), "XDSUnknownPatientId"), r.codes.end()) << r.body;
  AddPatient(pid);
  EXPECT_EQ(CountObjects(pid), 0);
}

TEST_F(RegistryTest, MalformedXmlGetsFaultAndServiceKeepsServing) {
  auto r =
      client_->Post("application/soap+xml", "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("Fault"), std::string::npos);
  EXPECT_NE(r->body.find("Malformed XML"), std::string::npos);
  EXPECT_EQ(SchemaErrors(r->body, "../../w3c/soap-1.2-envelope.xsd"), "");
  std::string pid = Patient("AFTERFAULT");
  AddPatient(pid);
  EXPECT_EQ(Register(Freshen(Fixture(), pid)).status, "Success");
}

TEST_F(RegistryTest, DeepNestingUnknownActionAndMustUnderstandGetFaults) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "<x>";
  for (int i = 0; i < 200; ++i) deep += "</x>";
  http::Response r = Post(vocab::kActionRegister, deep);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("nesting"), std::string::npos) << r.body;

  r = Post("urn:example:NoSuchAction", "<x/>");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("ActionNotSupported"), std::string::npos) << r.body;

  std::string envelope = http::SoapEnvelope(vocab::kActionRegister, url_, "<x/>");
  envelope = ReplaceAll(envelope, "<s:Header>",
                        "<s:Header><w:Security xmlns:w=\"urn:example:security\" s:mustUnderstand=\"true\"/>");
  auto raw = client_->Post("application/soap+xml", envelope);
  ASSERT_TRUE(raw.ok());
  EXPECT_NE(raw->body.find("MustUnderstand"), std::string::npos) << raw->body;
}

TEST_F(RegistryTest, OversizedBodyGetsFaultAndServiceKeepsServing) {
  registry_->Stop();
  Start({"--max_body_bytes=100000"});
  std::string big(200000, 'x');
  auto r =
      client_->Post("application/soap+xml", http::SoapEnvelope(vocab::kActionRegister, url_, "<x>" + big + "</x>"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("limit"), std::string::npos);
  std::string pid = Patient("AFTERBIG");
  AddPatient(pid);
  EXPECT_EQ(Register(Freshen(Fixture(), pid)).status, "Success");
}

TEST_F(RegistryTest, DataSurvivesRestart) {
  std::string pid = Patient("RESTART1");
  AddPatient(pid);
  ASSERT_EQ(Register(Freshen(Fixture(), pid)).status, "Success");
  int before = CountObjects(pid);
  registry_->Kill();  // no clean shutdown: what was acknowledged must be on disk
  Start();
  EXPECT_EQ(CountObjects(pid), before);
}

TEST_F(RegistryTest, IheExampleRegisterRequest) {
  std::string shared = SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared/conformance is absent; the IHE example is not available";
  registry_->Stop();
  Start({"--patient_authority=1.3.6.1.4.1.21367.2005.3.7"});
  AddPatient("SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  std::string body = BodyElement(
      ReadFile(shared + "/conformance/other/ihe-iti-info/examples/XDS.b/RegisterDocumentSet-bRequest_SOAP.xml"));
  // As published, the example lacks hash, size and repositoryUniqueId, which ITI TF-3
  // Table 4.3.1-3 requires of a Document Repository's ITI-42: each is reported.
  RegistryResult refused = Register(body);
  EXPECT_EQ(refused.status, "Failure");
  EXPECT_EQ(std::count(refused.codes.begin(), refused.codes.end(), "XDSRegistryMetadataError"), 3) << refused.body;
  EXPECT_NE(refused.body.find("repositoryUniqueId"), std::string::npos);
  // With the three attributes a repository adds, the example is accepted.
  std::string completed =
      ReplaceAll(body, "<rim:Slot name=\"creationTime\">",
                 "<rim:Slot "
                 "name=\"hash\"><rim:ValueList><rim:Value>da39a3ee5e6b4b0d3255bfef95601890afd80709</rim:Value></"
                 "rim:ValueList></rim:Slot>"
                 "<rim:Slot name=\"size\"><rim:ValueList><rim:Value>0</rim:Value></rim:ValueList></rim:Slot>"
                 "<rim:Slot "
                 "name=\"repositoryUniqueId\"><rim:ValueList><rim:Value>1.3.6.1.4.1.21367.2005.3.7.200</rim:Value></"
                 "rim:ValueList></rim:Slot>"
                 "<rim:Slot name=\"creationTime\">");
  ASSERT_NE(completed, body);
  RegistryResult accepted = Register(completed);
  EXPECT_EQ(accepted.status, "Success") << accepted.body;
  EXPECT_EQ(CountObjects("SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO"), 3);
}

TEST_F(RegistryTest, IheExampleRegisterRequestAsPublishedWithSourceColumn) {
  std::string shared = SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared/conformance is absent; the IHE example is not available";
  // A registry configured with the Document Source column of TF-3 Table 4.3.1-3
  // (--require_repository_attributes=false) takes the example exactly as published.
  registry_->Stop();
  Start({"--patient_authority=1.3.6.1.4.1.21367.2005.3.7", "--require_repository_attributes=false"});
  AddPatient("SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  std::string body = BodyElement(
      ReadFile(shared + "/conformance/other/ihe-iti-info/examples/XDS.b/RegisterDocumentSet-bRequest_SOAP.xml"));
  RegistryResult accepted = Register(body);
  EXPECT_EQ(accepted.status, "Success") << accepted.body;
  EXPECT_EQ(CountObjects("SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO"), 3);
}

}  // namespace
}  // namespace xds::testing
