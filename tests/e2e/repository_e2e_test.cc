// The real xds-repository and xds-registry binaries on 127.0.0.1: ITI-41 (MTOM and inline)
// registered through the registry's gRPC service, ITI-18 on the registry, ITI-43 back from
// the repository, the all-or-nothing failure paths and crash recovery (SIGKILL).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "proto/registry_service.grpc.pb.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/base64.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/net/http_client.h"
#include "tests/e2e/support.h"

namespace xds::testing {
namespace {

namespace fs = std::filesystem;

// The IHE examples' affinity domain, so that their patient can be admitted.
constexpr char kAuthority[] = "1.3.6.1.4.1.21367.2005.3.7";
constexpr char kRepositoryId[] = "1.2.3.4.5.8.1";
constexpr char kFixture[] = "tests/fixtures/iti42/submission_two_docs_folder.xml";

std::string Patient(const std::string& id) { return id + "^^^&" + kAuthority + "&ISO"; }

std::string FreshUuid() {
  static std::mt19937_64 rng(std::random_device{}());
  char buf[40];
  uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>((b >> 48) & 0xfff), static_cast<unsigned long long>(b & 0xffffffffffffull));
  return std::string("urn:uuid:") + buf;
}

std::string Serialize(const pugi::xml_node& node) {
  std::ostringstream out;
  node.print(out, "", pugi::format_raw);
  return out.str();
}

// A SubmitObjectsRequest with `documents` DocumentEntries (Document01..), fresh uniqueIds
// and entryUUIDs, the patient `patient`, and no hash/size/repositoryUniqueId (the
// repository adds them).
struct TestSubmission {
  std::string xml;
  std::vector<std::string> unique_ids;  // of Document01, Document02, ...
};

TestSubmission MakeSubmission(const std::string& patient, int documents) {
  std::string xml = ReadFile(kFixture);
  size_t begin = xml.find("<rim:ExtrinsicObject id=\"Document02\"");
  size_t end = xml.find("</rim:ExtrinsicObject>", begin) + std::strlen("</rim:ExtrinsicObject>");
  std::string template_de = xml.substr(begin, end - begin);
  size_t assoc_begin = xml.find("<rim:Association id=\"Association02\"");
  size_t assoc_end = xml.find("</rim:Association>", assoc_begin) + std::strlen("</rim:Association>");
  std::string template_assoc = xml.substr(assoc_begin, assoc_end - assoc_begin);
  std::string extra_des, extra_assocs;
  for (int i = 3; i <= documents; ++i) {
    std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    extra_des += ReplaceAll(template_de, "Document02", "Document" + n);
    extra_assocs +=
        ReplaceAll(ReplaceAll(template_assoc, "Document02", "Document" + n), "Association02", "Association1" + n);
  }
  xml.insert(assoc_end, extra_assocs);
  xml.insert(end, extra_des);

  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  TestSubmission out;
  std::vector<pugi::xml_node> drop;
  for (pugi::xpath_node n : doc.select_nodes("//*")) {
    pugi::xml_node e = n.node();
    std::string id = e.attribute("id").value();
    if (id.rfind("urn:uuid:", 0) == 0) e.attribute("id") = FreshUuid().c_str();
    std::string name = e.attribute("name").value();
    if (std::string(e.name()) == "rim:Slot" && (name == "hash" || name == "size" || name == "repositoryUniqueId")) {
      drop.push_back(e);
    }
    std::string scheme = e.attribute("identificationScheme").value();
    if (scheme == vocab::kDeUniqueId || scheme == vocab::kSsUniqueId || scheme == vocab::kFdUniqueId) {
      e.attribute("value") = FreshOid().c_str();
      if (scheme == vocab::kDeUniqueId) out.unique_ids.push_back(e.attribute("value").value());
    }
    if (scheme == vocab::kDePatientId || scheme == vocab::kSsPatientId || scheme == vocab::kFdPatientId) {
      e.attribute("value") = patient.c_str();
    }
  }
  for (pugi::xml_node e : drop) e.parent().remove_child(e);
  // Document01 and 02 come first in the fixture; the clones follow in order.
  EXPECT_EQ(static_cast<int>(out.unique_ids.size()), std::max(documents, 2));
  out.unique_ids.resize(documents);
  if (documents < 2) {  // drop Document02 and whatever refers to it
    for (pugi::xpath_node n : doc.select_nodes("//*[@id='Document02' or @targetObject='Document02' or "
                                               "@targetObject='Association06' or @id='Association06']")) {
      n.node().parent().remove_child(n.node());
    }
  }
  out.xml = Serialize(doc.document_element());
  return out;
}

// Adds a Slot to the ExtrinsicObject `de_id` of a SubmitObjectsRequest.
std::string WithSlot(const std::string& xml, const std::string& de_id, const std::string& name,
                     const std::string& value) {
  std::string tag = "<rim:ExtrinsicObject id=\"" + de_id + "\"";
  size_t at = xml.find('>', xml.find(tag)) + 1;
  return xml.substr(0, at) + "<rim:Slot name=\"" + name + "\"><rim:ValueList><rim:Value>" + value +
         "</rim:Value></rim:ValueList></rim:Slot>" + xml.substr(at);
}

struct TestDocument {
  std::string id;  // xds:Document/@id
  std::string content;
  bool inline_base64 = false;
  bool omit = false;  // leave the xds:Document out (XDSMissingDocument)
};

std::string BigContent(size_t size) {
  std::string s(size, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < size; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    s[i] = static_cast<char>(x >> 56);
  }
  // Lines that look like MIME framing must survive as content.
  s.replace(1000, 20, "\r\n--MIMEBoundary\r\n\r\n");
  return s;
}

int64_t QueryInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

struct Retrieved {
  std::string status;
  std::vector<std::string> codes;
  std::vector<std::string> locations;
  std::vector<std::string> contexts;                                     // codeContext of each RegistryError
  std::map<std::string, std::pair<std::string, std::string>> documents;  // uniqueId -> (mimeType, content)
  std::string body;
};

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_data_ = TempDir();
    repository_data_ = TempDir();
    StartRegistry();
    StartRepository();
  }

  void StartRegistry() {
    registry_ = std::make_unique<Process>(
        "registry/xds-registry",
        std::vector<std::string>{"--data_dir=" + registry_data_, "--http_port=0", "--grpc_port=0",
                                 std::string("--patient_authority=") + kAuthority},
        registry_data_ + "/ports");
    ASSERT_GT(registry_->http_port(), 0) << "registry did not start";
    registry_url_ = "http://127.0.0.1:" + std::to_string(registry_->http_port()) + "/xds/registry";
    registry_client_ = std::make_unique<http::Client>(*http::ParseUrl(registry_url_));
    stub_ = RegistryService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(registry_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  // With `log_file`, the repository's stderr (its log) goes there.
  void StartRepository(std::vector<std::string> extra = {}, const std::string& log_file = "") {
    std::vector<std::string> args = {"--data_dir=" + repository_data_,
                                     "--http_port=0",
                                     "--grpc_port=0",
                                     "--registry_grpc=127.0.0.1:" + std::to_string(registry_->grpc_port()),
                                     std::string("--repository_unique_id=") + kRepositoryId,
                                     "--registry_timeout_ms=5000"};
    args.insert(args.end(), extra.begin(), extra.end());
    repository_ = std::make_unique<Process>("repository/xds-repository", args, repository_data_ + "/ports", log_file);
    ASSERT_GT(repository_->http_port(), 0) << "repository did not start";
    repository_url_ = "http://127.0.0.1:" + std::to_string(repository_->http_port()) + "/xds/repository";
    repository_client_ = std::make_unique<http::Client>(*http::ParseUrl(repository_url_));
  }

  void AddPatient(const std::string& pid) {
    grpc::ClientContext context;
    xds::Patient p;
    p.set_id(pid);
    AddPatientResponse response;
    ASSERT_TRUE(stub_->AddPatient(&context, p, &response).ok());
  }

  // Sends an envelope as MTOM with `attachments`; returns the HTTP response.
  http::Response PostMtom(http::Client* client, const std::string& envelope,
                          const std::vector<mime::Attachment>& attachments, const std::string& action) {
    std::string content_type;
    std::string body = mime::BuildMtom(envelope, attachments, action, &content_type);
    auto r = client->Post(content_type, body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::Response{0, "", ""};
  }

  // The root XML of an MTOM response (and its parts in *parts).
  std::string MtomRoot(const http::Response& r, mime::Multipart* parts) {
    auto ct = mime::ParseContentType(r.content_type);
    EXPECT_TRUE(ct.ok() && ct->type == "multipart/related") << "not MTOM: " << r.content_type;
    if (!ct.ok()) return "";
    auto m = mime::ParseMultipart(r.body, *ct);
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return "";
    *parts = std::move(*m);
    return std::string(parts->parts[parts->root_index].body);
  }

  RegistryResult ProvideAndRegister(const std::string& submit_objects_request, const std::vector<TestDocument>& docs) {
    std::string body = std::string("<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs +
                       "\" xmlns:xop=\"" + vocab::kXopNs + "\">" + submit_objects_request;
    std::vector<mime::Attachment> attachments;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (docs[i].omit) continue;
      if (docs[i].inline_base64) {
        body += "<xds:Document id=\"" + docs[i].id + "\">" + EncodeBase64(docs[i].content) + "</xds:Document>";
      } else {
        std::string cid = "doc" + std::to_string(i) + "@test.example";
        body +=
            "<xds:Document id=\"" + docs[i].id + "\"><xop:Include href=\"" + mime::CidHref(cid) + "\"/></xds:Document>";
        attachments.push_back({cid, "application/octet-stream", docs[i].content});
      }
    }
    body += "</xds:ProvideAndRegisterDocumentSetRequest>";
    return SendProvideAndRegister(http::SoapEnvelope(vocab::kActionProvideAndRegister, repository_url_, body),
                                  attachments);
  }

  RegistryResult SendProvideAndRegister(const std::string& envelope, const std::vector<mime::Attachment>& attachments) {
    http::Response r = PostMtom(repository_client_.get(), envelope, attachments, vocab::kActionProvideAndRegister);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 2000);
    mime::Multipart parts;
    std::string root = MtomRoot(r, &parts);
    EXPECT_NE(root.find(vocab::kActionProvideAndRegisterResponse), std::string::npos) << root;
    RegistryResult result = ParseRegistryResult(root);
    EXPECT_EQ(SchemaErrors(result.body, "ebRS/rs.xsd"), "") << result.body;
    return result;
  }

  Retrieved Retrieve(const std::vector<std::pair<std::string, std::string>>& requests, const std::string& extra = "") {
    std::string body = std::string("<xds:RetrieveDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs + "\">";
    for (const auto& [repository, uid] : requests) {
      body += "<xds:DocumentRequest>" + extra + "<xds:RepositoryUniqueId>" + repository +
              "</xds:RepositoryUniqueId><xds:DocumentUniqueId>" + uid + "</xds:DocumentUniqueId></xds:DocumentRequest>";
    }
    body += "</xds:RetrieveDocumentSetRequest>";
    return SendRetrieve(http::SoapEnvelope(vocab::kActionRetrieve, repository_url_, body));
  }

  Retrieved SendRetrieve(const std::string& envelope) {
    http::Response r = PostMtom(repository_client_.get(), envelope, {}, vocab::kActionRetrieve);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 2000);
    mime::Multipart parts;
    std::string root = MtomRoot(r, &parts);
    EXPECT_NE(root.find(vocab::kActionRetrieveResponse), std::string::npos) << root.substr(0, 2000);
    Retrieved out;
    pugi::xml_document doc;
    out.body = BodyElement(root, nullptr);
    EXPECT_TRUE(doc.load_string(out.body.c_str())) << root.substr(0, 2000);
    pugi::xml_node response = doc.document_element();
    std::string status = response.first_element_by_path("rs:RegistryResponse").attribute("status").value();
    for (pugi::xml_node n : response.children()) {
      if (std::string(n.name()).find("RegistryResponse") != std::string::npos) {
        status = n.attribute("status").value();
      }
    }
    out.status = status.substr(status.rfind(':') + 1);
    for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='RegistryError']")) {
      out.codes.push_back(n.node().attribute("errorCode").value());
      out.locations.push_back(n.node().attribute("location").value());
      out.contexts.push_back(n.node().attribute("codeContext").value());
    }
    for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='DocumentResponse']")) {
      pugi::xml_node dr = n.node();
      std::string uid = dr.select_node("*[local-name()='DocumentUniqueId']").node().child_value();
      std::string mime_type = dr.select_node("*[local-name()='mimeType']").node().child_value();
      pugi::xml_node document = dr.select_node("*[local-name()='Document']").node();
      pugi::xml_node include = document.first_child();
      const mime::Part* part = mime::FindByCid(parts, include.attribute("href").value());
      EXPECT_NE(part, nullptr) << "no part for " << include.attribute("href").value();
      std::string content = part ? std::string(part->body) : "";
      out.documents[uid] = {mime_type, content};
      // The schema has no XOP: put the content inline to validate the rest (a prefix of
      // large contents: xmllint refuses text nodes over 10 MB without --huge).
      document.remove_child(include);
      document.text() = EncodeBase64(content.substr(0, 1 << 20)).c_str();
    }
    std::ostringstream inline_xml;
    doc.save(inline_xml, "", pugi::format_raw | pugi::format_no_declaration);
    EXPECT_EQ(SchemaErrors(inline_xml.str(), "IHE/XDS.b_DocumentRepository.xsd"), "") << out.body.substr(0, 3000);
    return out;
  }

  // ITI-18 on the registry (SOAP): GetDocuments by uniqueId, LeafClass.
  std::vector<DocumentEntry> GetDocuments(const std::vector<std::string>& unique_ids) {
    std::string list;
    for (const auto& uid : unique_ids) list += (list.empty() ? "'" : ",'") + uid + "'";
    std::string query = std::string(
                            "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
                            "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
                            "<query:ResponseOption returnType=\"LeafClass\" returnComposedObjects=\"true\"/>"
                            "<rim:AdhocQuery id=\"") +
                        vocab::kQueryGetDocuments +
                        "\">"
                        "<rim:Slot name=\"$XDSDocumentEntryUniqueId\"><rim:ValueList><rim:Value>(" +
                        list + ")</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>";
    return QueryRegistry(query);
  }

  // ITI-18 FindDocuments (Approved) for a patient.
  std::vector<DocumentEntry> FindDocuments(const std::string& patient) {
    std::string query = std::string(
                            "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
                            "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
                            "<query:ResponseOption returnType=\"LeafClass\" returnComposedObjects=\"true\"/>"
                            "<rim:AdhocQuery id=\"") +
                        vocab::kQueryFindDocuments +
                        "\">"
                        "<rim:Slot name=\"$XDSDocumentEntryPatientId\"><rim:ValueList><rim:Value>'" +
                        patient +
                        "'</rim:Value></rim:ValueList></rim:Slot>"
                        "<rim:Slot name=\"$XDSDocumentEntryStatus\"><rim:ValueList><rim:Value>('" +
                        vocab::kStatusApproved +
                        "')</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>";
    return QueryRegistry(query);
  }

  std::vector<DocumentEntry> QueryRegistry(const std::string& query) {
    auto r = registry_client_->Post("application/soap+xml; charset=UTF-8",
                                    http::SoapEnvelope(vocab::kActionStoredQuery, registry_url_, query));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    pugi::xml_document doc;
    std::string body = BodyElement(r->body);
    EXPECT_TRUE(doc.load_string(body.c_str()));
    StoredQueryResponse response = ebrim::ParseAdhocQueryResponse(doc.document_element());
    EXPECT_EQ(response.response().status(), SUCCESS) << body;
    return {response.document_entries().begin(), response.document_entries().end()};
  }

  int DocumentFiles() {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(repository_data_ + "/documents", ec))
      n += e.is_regular_file();
    return n;
  }
  int64_t Rows(const std::string& where = "1") {
    return QueryInt(repository_data_ + "/repository.sqlite", "SELECT COUNT(*) FROM documents WHERE " + where);
  }
  void ExpectRepositoryEmpty() {
    EXPECT_EQ(DocumentFiles(), 0);
    EXPECT_EQ(Rows(), 0);
  }

  std::string registry_data_, repository_data_, registry_url_, repository_url_;
  std::unique_ptr<Process> registry_, repository_;
  std::unique_ptr<http::Client> registry_client_, repository_client_;
  std::unique_ptr<RegistryService::Stub> stub_;
};

bool HasCode(const std::vector<std::string>& codes, const std::string& code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

TEST_F(RepositoryTest, ThreeDocumentsOneLargeAreRegisteredAndRetrievedByteIdentical) {
  std::string pid = Patient("REPO-OK");
  AddPatient(pid);
  TestSubmission s = MakeSubmission(pid, 3);
  std::vector<TestDocument> docs = {{"Document01", "Sample discharge letter\n"},
                                    {"Document02", "Referral letter for physiotherapy\n", /*inline=*/true},
                                    {"Document03", BigContent(50u << 20)}};
  RegistryResult r = ProvideAndRegister(s.xml, docs);
  ASSERT_EQ(r.status, "Success") << r.body;

  std::vector<DocumentEntry> entries = GetDocuments(s.unique_ids);
  ASSERT_EQ(entries.size(), 3u);
  for (const DocumentEntry& de : entries) {
    size_t i = std::find(s.unique_ids.begin(), s.unique_ids.end(), de.unique_id()) - s.unique_ids.begin();
    ASSERT_LT(i, 3u);
    EXPECT_EQ(de.repository_unique_id(), kRepositoryId);
    EXPECT_EQ(de.size(), static_cast<int64_t>(docs[i].content.size()));
    EXPECT_EQ(de.hash().size(), 40u);
  }
  EXPECT_EQ(FindDocuments(pid).size(), 3u);
  EXPECT_EQ(Rows("state = 'committed'"), 3);

  Retrieved got =
      Retrieve({{kRepositoryId, s.unique_ids[0]}, {kRepositoryId, s.unique_ids[1]}, {kRepositoryId, s.unique_ids[2]}});
  EXPECT_EQ(got.status, "Success") << got.body.substr(0, 2000);
  ASSERT_EQ(got.documents.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got.documents[s.unique_ids[i]].first, "text/plain");
    EXPECT_TRUE(got.documents[s.unique_ids[i]].second == docs[i].content) << "document " << i << " differs";
  }
}

TEST_F(RepositoryTest, WrongHashWrongSizeMissingDocumentAndStrayDocumentLeaveNothing) {
  std::string pid = Patient("REPO-BAD");
  AddPatient(pid);
  struct Case {
    std::string name, code;
  };
  for (const Case& c : {Case{"hash", "XDSRepositoryMetadataError"}, Case{"size", "XDSRepositoryMetadataError"},
                        Case{"missing", "XDSMissingDocument"}, Case{"stray", "XDSMissingDocumentMetadata"}}) {
    TestSubmission s = MakeSubmission(pid, 2);
    std::vector<TestDocument> docs = {{"Document01", "one"}, {"Document02", "two"}};
    std::string xml = s.xml;
    if (c.name == "hash") xml = WithSlot(xml, "Document01", "hash", "0123456789012345678901234567890123456789");
    if (c.name == "size") xml = WithSlot(xml, "Document02", "size", "4");
    if (c.name == "missing") docs[1].omit = true;
    if (c.name == "stray") docs.push_back({"Document99", "no metadata"});
    RegistryResult r = ProvideAndRegister(xml, docs);
    EXPECT_EQ(r.status, "Failure") << c.name;
    EXPECT_TRUE(HasCode(r.codes, c.code)) << c.name << ": " << r.body;
    ExpectRepositoryEmpty();
    EXPECT_TRUE(GetDocuments(s.unique_ids).empty()) << c.name;
  }
  EXPECT_TRUE(FindDocuments(pid).empty());
}

TEST_F(RepositoryTest, RegistryRefusalIsCopiedThroughAndNothingKept) {
  std::string pid = Patient("REPO-UNKNOWN");  // never admitted
  TestSubmission s = MakeSubmission(pid, 2);
  RegistryResult r = ProvideAndRegister(s.xml, {{"Document01", "one"}, {"Document02", "two"}});
  EXPECT_EQ(r.status, "Failure");
  EXPECT_TRUE(HasCode(r.codes, "XDSUnknownPatientId")) << r.body;
  ExpectRepositoryEmpty();
  AddPatient(pid);
  EXPECT_TRUE(FindDocuments(pid).empty());
}

TEST_F(RepositoryTest, RegistryDownGivesRegistryNotAvailableAndNothingKept) {
  std::string pid = Patient("REPO-DOWN");
  AddPatient(pid);
  registry_->Kill();
  TestSubmission s = MakeSubmission(pid, 1);
  RegistryResult r = ProvideAndRegister(s.xml, {{"Document01", "one"}});
  EXPECT_EQ(r.status, "Failure");
  EXPECT_EQ(r.codes, std::vector<std::string>{"XDSRegistryNotAvailable"}) << r.body;
  ExpectRepositoryEmpty();
  StartRegistry();  // same store, new ports
  EXPECT_TRUE(FindDocuments(pid).empty());
}

// The registry is gone: the Document Source learns that (XDSRegistryNotAvailable) but not the
// registry's address or gRPC's words, which go to the repository's log; nothing is kept.
TEST_F(RepositoryTest, RegistryDownIsReportedWithoutItsAddress) {
  std::string log = TempDir() + "/repository.log";
  repository_->Stop();
  StartRepository({}, log);
  std::string pid = Patient("REPO-DOWN-QUIET");
  AddPatient(pid);
  registry_->Kill();
  TestSubmission s = MakeSubmission(pid, 1);
  RegistryResult r = ProvideAndRegister(s.xml, {{"Document01", "never stored"}});
  EXPECT_EQ(r.status, "Failure");
  EXPECT_EQ(r.codes, std::vector<std::string>{"XDSRegistryNotAvailable"}) << r.body;
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("ipv4:"), std::string::npos) << r.body;
  ExpectRepositoryEmpty();
  Retrieved got = Retrieve({{kRepositoryId, s.unique_ids[0]}});
  EXPECT_EQ(got.status, "Failure");
  EXPECT_EQ(got.codes, std::vector<std::string>{"XDSDocumentUniqueIdError"});

  ASSERT_TRUE(repository_->Stop());
  std::string written = ReadFile(log);
  size_t line = written.find("xds-repository: ITI-41 from 127.0.0.1:");
  ASSERT_NE(line, std::string::npos) << written;
  std::string entry = written.substr(line, written.find('\n', line) - line);
  EXPECT_NE(entry.find("XDSRegistryNotAvailable"), std::string::npos) << entry;
  EXPECT_NE(entry.find(s.unique_ids[0]), std::string::npos) << entry;
  EXPECT_NE(entry.find("UNAVAILABLE"), std::string::npos) << entry;
}

// A committed document whose content file is gone: ITI-43 answers XDSRepositoryError with a
// fixed text (no path of the server's); the repository's log has the uid and the status.
TEST_F(RepositoryTest, UnreadableDocumentIsReportedWithoutServerPaths) {
  std::string log = TempDir() + "/repository.log";
  repository_->Stop();
  StartRepository({}, log);
  std::string pid = Patient("REPO-VANISHED");
  AddPatient(pid);
  TestSubmission s = MakeSubmission(pid, 1);
  ASSERT_EQ(ProvideAndRegister(s.xml, {{"Document01", "soon gone"}}).status, "Success");
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(repository_data_ + "/documents"))
    if (e.is_regular_file()) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  fs::remove(files[0]);

  Retrieved got = Retrieve({{kRepositoryId, s.unique_ids[0]}});
  EXPECT_EQ(got.status, "Failure");
  EXPECT_EQ(got.codes, std::vector<std::string>{"XDSRepositoryError"}) << got.body;
  EXPECT_EQ(got.locations, std::vector<std::string>{s.unique_ids[0]});
  ASSERT_EQ(got.contexts.size(), 1u);
  EXPECT_NE(got.contexts[0].find(s.unique_ids[0]), std::string::npos) << got.contexts[0];
  EXPECT_EQ(got.contexts[0].find(repository_data_), std::string::npos) << got.contexts[0];
  EXPECT_EQ(got.contexts[0].find('/'), std::string::npos) << got.contexts[0];

  ASSERT_TRUE(repository_->Stop());
  std::string written = ReadFile(log);
  size_t line = written.find("xds-repository: ITI-43 from 127.0.0.1:");
  ASSERT_NE(line, std::string::npos) << written;
  std::string entry = written.substr(line, written.find('\n', line) - line);
  EXPECT_NE(entry.find("XDSRepositoryError"), std::string::npos) << entry;
  EXPECT_NE(entry.find(s.unique_ids[0]), std::string::npos) << entry;
  EXPECT_NE(entry.find(files[0].string()), std::string::npos) << entry;
}

TEST_F(RepositoryTest, CrashBetweenStageAndRegisterLeavesNothingAfterRestart) {
  std::string pid = Patient("REPO-CRASH1");
  AddPatient(pid);
  repository_->Kill();
  StartRepository({"--test_pause_after_stage_ms=20000"});
  TestSubmission s = MakeSubmission(pid, 2);
  std::string body = std::string("<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs + "\">" +
                     s.xml + "<xds:Document id=\"Document01\">" + EncodeBase64("first") +
                     "</xds:Document><xds:Document id=\"Document02\">" + EncodeBase64("second") + "</xds:Document>" +
                     "</xds:ProvideAndRegisterDocumentSetRequest>";
  std::string envelope = http::SoapEnvelope(vocab::kActionProvideAndRegister, repository_url_, body);
  std::thread sender([&] {
    http::Client client(*http::ParseUrl(repository_url_));
    std::string ct;
    std::string mtom = mime::BuildMtom(envelope, {}, vocab::kActionProvideAndRegister, &ct);
    (void)client.Post(ct, mtom);  // the connection dies with the process
  });
  for (int i = 0; i < 200 && Rows("state = 'pending'") < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(Rows("state = 'pending'"), 2);
  EXPECT_EQ(DocumentFiles(), 2);
  repository_->Kill();
  sender.join();
  // A file written before its row (the crash window between the two) must go as well.
  fs::create_directories(repository_data_ + "/documents/00");
  std::ofstream(repository_data_ + "/documents/00/00" + std::string(38, 'a')) << "orphan";
  StartRepository();
  ExpectRepositoryEmpty();
  EXPECT_TRUE(GetDocuments(s.unique_ids).empty());
  Retrieved got = Retrieve({{kRepositoryId, s.unique_ids[0]}});
  EXPECT_EQ(got.status, "Failure");
}

TEST_F(RepositoryTest, CrashAfterRegistryAcceptedCommitsOnRestart) {
  std::string pid = Patient("REPO-CRASH2");
  AddPatient(pid);
  repository_->Kill();
  StartRepository({"--test_pause_after_register_ms=20000"});
  TestSubmission s = MakeSubmission(pid, 1);
  std::thread sender([&] {
    std::string body = std::string("<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs + "\">" +
                       s.xml + "<xds:Document id=\"Document01\">" + EncodeBase64("kept") +
                       "</xds:Document></xds:ProvideAndRegisterDocumentSetRequest>";
    http::Client client(*http::ParseUrl(repository_url_));
    std::string ct;
    std::string mtom = mime::BuildMtom(http::SoapEnvelope(vocab::kActionProvideAndRegister, repository_url_, body), {},
                                       vocab::kActionProvideAndRegister, &ct);
    (void)client.Post(ct, mtom);
  });
  bool registered = false;
  for (int i = 0; i < 200 && !registered; ++i) {
    registered = !GetDocuments(s.unique_ids).empty();
    if (!registered) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(registered);
  EXPECT_EQ(Rows("state = 'pending'"), 1);
  Retrieved before = Retrieve({{kRepositoryId, s.unique_ids[0]}});
  EXPECT_EQ(before.status, "Failure");  // pending documents are not served
  repository_->Kill();
  sender.join();
  StartRepository();
  EXPECT_EQ(Rows("state = 'committed'"), 1);
  EXPECT_EQ(DocumentFiles(), 1);
  Retrieved got = Retrieve({{kRepositoryId, s.unique_ids[0]}});
  EXPECT_EQ(got.status, "Success") << got.body;
  EXPECT_EQ(got.documents[s.unique_ids[0]].second, "kept");
}

TEST_F(RepositoryTest, RetrieveErrors) {
  std::string pid = Patient("REPO-RET");
  AddPatient(pid);
  TestSubmission s = MakeSubmission(pid, 1);
  ASSERT_EQ(ProvideAndRegister(s.xml, {{"Document01", "known"}}).status, "Success");

  Retrieved unknown = Retrieve({{kRepositoryId, "1.2.3.999"}});
  EXPECT_EQ(unknown.status, "Failure");
  EXPECT_EQ(unknown.codes, std::vector<std::string>{"XDSDocumentUniqueIdError"});
  EXPECT_EQ(unknown.locations, std::vector<std::string>{"1.2.3.999"});
  EXPECT_TRUE(unknown.documents.empty());

  Retrieved partial = Retrieve({{kRepositoryId, s.unique_ids[0]}, {kRepositoryId, "1.2.3.999"}});
  EXPECT_EQ(partial.status, "PartialSuccess");
  EXPECT_EQ(partial.codes, std::vector<std::string>{"XDSDocumentUniqueIdError"});
  ASSERT_EQ(partial.documents.size(), 1u);
  EXPECT_EQ(partial.documents[s.unique_ids[0]].second, "known");

  Retrieved other = Retrieve({{"9.9.9.9", s.unique_ids[0]}});
  EXPECT_EQ(other.status, "Failure");
  EXPECT_EQ(other.codes, std::vector<std::string>{"XDSUnknownRepositoryId"});
  EXPECT_EQ(other.locations, std::vector<std::string>{s.unique_ids[0]});

  // HomeCommunityId is echoed (and ordered first, checked by the schema validation).
  Retrieved home =
      Retrieve({{kRepositoryId, s.unique_ids[0]}}, "<xds:HomeCommunityId>urn:oid:1.2.3.77</xds:HomeCommunityId>");
  EXPECT_EQ(home.status, "Success");
  EXPECT_NE(home.body.find("urn:oid:1.2.3.77"), std::string::npos);
}

TEST_F(RepositoryTest, IheExamples) {
  std::string shared = SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared/conformance is absent; the IHE examples are not available";
  const std::string dir = shared + "/conformance/other/ihe-iti-info/examples/XDS.b/";
  AddPatient("SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  // The example carries its document inline (base64); sent as an MTOM package with only
  // the root part, as a Document Source must (TF-41).
  std::string pnr = ReadFile(dir + "ProvideAndRegisterDocumentSet-bRequest_SOAP.xml");
  RegistryResult r = SendProvideAndRegister(pnr, {});
  ASSERT_EQ(r.status, "Success") << r.body;
  std::vector<DocumentEntry> entries = GetDocuments({"1.3.6.1.4.1.21367.2005.3.9999.32"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].repository_unique_id(), kRepositoryId);

  // The retrieve example asks for two documents of repository 1.3.6.1.4...1000: the first
  // is the one just provided, the second is unknown -> PartialSuccess.
  std::string retrieve = ReadFile(dir + "RetrieveDocumentSetRequest_SOAP.xml");
  retrieve = ReplaceAll(retrieve, "1.3.6.1.4...1000", kRepositoryId);
  retrieve = ReplaceAll(retrieve, "1.3.6.1.4...2300", "1.3.6.1.4.1.21367.2005.3.9999.32");
  Retrieved got = SendRetrieve(retrieve);
  EXPECT_EQ(got.status, "PartialSuccess") << got.body;
  EXPECT_EQ(got.codes, std::vector<std::string>{"XDSDocumentUniqueIdError"});
  EXPECT_EQ(got.locations, std::vector<std::string>{"1.3.6.1.4...2301"});
  ASSERT_EQ(got.documents.count("1.3.6.1.4.1.21367.2005.3.9999.32"), 1u);
  EXPECT_EQ(got.documents["1.3.6.1.4.1.21367.2005.3.9999.32"].first, "text/xml");
  EXPECT_EQ(got.documents["1.3.6.1.4.1.21367.2005.3.9999.32"].second,
            *DecodeBase64("UjBsR09EbGhjZ0dTQUxNQUFBUUNBRU1tQ1p0dU1GUXhEUzhi"));
}

TEST_F(RepositoryTest, SoapFaultsForUnknownActionAndMalformedMtom) {
  http::Response r =
      PostMtom(repository_client_.get(), http::SoapEnvelope("urn:example:Nope", repository_url_, "<x/>"), {}, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("ActionNotSupported"), std::string::npos);
  auto bad = repository_client_->Post("multipart/related; boundary=zz; type=\"application/xop+xml\"", "garbage");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("Fault"), std::string::npos);
}

}  // namespace
}  // namespace xds::testing
