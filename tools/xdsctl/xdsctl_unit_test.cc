// xdsctl without services: argument parsing, output, stored-query coding, the ITI-41
// submission it builds, restore's safety checks and the exit codes of local failures.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "absl/strings/str_join.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/validation/metadata_validator.h"
#include "registry/shared/xua/assertion.h"
#include "registry/shared/xua/test_idp.h"
#include "tools/xdsctl/args.h"
#include "tools/xdsctl/commands.h"
#include "tools/xdsctl/output.h"
#include "tools/xdsctl/queries.h"
#include "tools/xdsctl/restore.h"
#include "tools/xdsctl/submission_builder.h"

namespace xds::ctl {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/" + name + std::to_string(getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(ArgsTest, RepeatableFlagsValuesAndSpellings) {
  auto a = ParseArgs({"find", "--class", "A^^1", "--class=B^^2", "--registry_grpc", "h:1", "-o", "f", "--help"},
                     {"class", "registry-grpc", "output", "help"}, {"help"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->positional, std::vector<std::string>{"find"});
  EXPECT_EQ(a->All("class"), (std::vector<std::string>{"A^^1", "B^^2"}));
  EXPECT_EQ(a->Get("registry-grpc"), "h:1");
  EXPECT_EQ(a->Get("output"), "f");
  EXPECT_EQ(a->Get("help"), "true");
  EXPECT_FALSE(ParseArgs({"--nope"}, {"class"}, {}).ok());
  EXPECT_FALSE(ParseArgs({"--class"}, {"class"}, {}).ok());
  // Later values override earlier ones (./xds ctl puts its defaults first).
  auto b = ParseArgs({"--registry-grpc=a", "--registry_grpc=b"}, {"registry-grpc"}, {});
  EXPECT_EQ(b->Get("registry-grpc"), "b");
}

TEST(OutputTest, TableAlignsByCodePointsAndJsonEscapes) {
  Table t({"A", "LONGER"});
  t.AddRow({"ééé", "x"});
  t.AddRow({"b\tc", ""});
  EXPECT_EQ(t.Render(), "A    LONGER\nééé  x\nb c\n");
  Json j = Json::Object().Set("k\"", Json::Str("a\nb\x01")).Set("n", Json::Int(-3)).Set("l", Json::Array());
  EXPECT_EQ(j.Dump(), "{\"k\\\"\":\"a\\nb\\u0001\",\"n\":-3,\"l\":[]}");
}

TEST(OutputTest, DocumentEntryJsonUsesTfNames) {
  DocumentEntry de;
  de.mutable_header()->set_entry_uuid("urn:uuid:1");
  de.mutable_header()->set_status(APPROVED);
  de.set_unique_id("1.2");
  de.mutable_class_code()->set_code("C");
  de.mutable_class_code()->set_scheme("S");
  de.set_size(5);
  std::string s = DocumentEntryJson(de).Dump();
  EXPECT_NE(s.find("\"entryUUID\":\"urn:uuid:1\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"availabilityStatus\":\"Approved\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"classCode\":{\"code\":\"C\",\"codingScheme\":\"S\"}"), std::string::npos) << s;
  EXPECT_NE(s.find("\"size\":5"), std::string::npos) << s;
  EXPECT_EQ(s.find("hash"), std::string::npos) << "empty optional attributes are left out: " << s;
}

TEST(QueriesTest, FindDocumentsCodesEveryFilter) {
  FindDocumentsOptions o;
  o.patient_id = "P'1^^^&1.2&ISO";
  o.status = "all";
  o.class_codes = {"A^^1", "B^^2"};
  o.created_from = "2025";
  o.service_to = "20250301";
  o.author_patterns = {"%Jansen%"};
  auto r = FindDocumentsQuery(o);
  ASSERT_TRUE(r.ok()) << r.status();
  std::map<std::string, std::string> p;
  for (const auto& q : r->parameters()) p[q.name()] = q.values(0);
  EXPECT_EQ(p["$XDSDocumentEntryPatientId"], "'P''1^^^&1.2&ISO'");
  EXPECT_EQ(p["$XDSDocumentEntryClassCode"], "('A^^1','B^^2')");
  EXPECT_EQ(p["$XDSDocumentEntryCreationTimeFrom"], "2025");
  EXPECT_EQ(p["$XDSDocumentEntryServiceStopTimeTo"], "20250301");
  EXPECT_EQ(p["$XDSDocumentEntryAuthorPerson"], "('%Jansen%')");
  EXPECT_NE(p["$XDSDocumentEntryStatus"].find("Deprecated"), std::string::npos);
  o.class_codes = {"nocode"};
  EXPECT_FALSE(FindDocumentsQuery(o).ok());
  o.class_codes = {};
  o.created_to = "2025-03";
  EXPECT_FALSE(FindDocumentsQuery(o).ok());
  o.created_to = "";
  o.status = "maybe";
  EXPECT_FALSE(FindDocumentsQuery(o).ok());
  EXPECT_EQ(GetDocumentsQuery("urn:uuid:x").parameters(0).name(), "$XDSDocumentEntryEntryUUID");
  EXPECT_EQ(GetDocumentsQuery("1.2.3").parameters(0).name(), "$XDSDocumentEntryUniqueId");
}

TEST(SubmissionBuilderTest, BuildsAValidDocumentSourceSubmission) {
  std::string dir = TempDir("submit");
  std::ofstream(dir + "/letter.pdf") << "%PDF-1.4 not really";
  std::ofstream(dir + "/note.txt") << "hello";
  SubmitOptions o;
  o.patient_id = "BSN1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO";
  o.class_code = "DISCHARGE^^2.999.100.1";
  o.author_person = "^Jansen^Pieter";
  auto built = BuildSubmission({dir + "/letter.pdf", dir + "/note.txt"}, o);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->submission.document_entries_size(), 2);
  EXPECT_EQ(built->submission.document_entries(0).mime_type(), "application/pdf");
  EXPECT_EQ(built->submission.document_entries(1).mime_type(), "text/plain");
  EXPECT_EQ(built->documents[1].content, "hello");
  // Through the codec and back, as the repository will see it: valid for ITI-41 (DS/41).
  pugi::xml_document doc;
  ebrim::AppendSubmitObjectsRequest(doc, built->submission);
  ebrim::ParsedSubmission parsed = ebrim::ParseSubmitObjectsRequest(doc.document_element());
  EXPECT_TRUE(parsed.errors.empty()) << parsed.errors[0].context();
  ValidationOptions v;
  v.require_repository_attributes = false;
  std::vector<RegistryError> errors = ValidateSubmission(parsed.submission, v);
  for (const auto& e : errors) ADD_FAILURE() << e.code() << ": " << e.context();
  EXPECT_TRUE(IsOid(built->submission.document_entries(0).unique_id()));
  EXPECT_NE(built->submission.document_entries(0).unique_id(), built->submission.document_entries(1).unique_id());

  EXPECT_FALSE(BuildSubmission({dir + "/missing"}, o).ok());
  o.class_code = "";
  EXPECT_FALSE(BuildSubmission({dir + "/note.txt"}, o).ok());
}

TEST(SubmissionBuilderTest, UuidOidsAreOids) {
  for (int i = 0; i < 100; ++i) {
    std::string oid = NewUuidOid();
    EXPECT_TRUE(IsOid(oid)) << oid;
    EXPECT_LE(oid.size(), 64u);
  }
}

void MakeStore(const std::string& path, bool registry_tables) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql = registry_tables ? "CREATE TABLE patients(id); CREATE TABLE document_entries(x);"
                                      "CREATE TABLE submission_sets(x); CREATE TABLE folders(x);"
                                      "CREATE TABLE associations(x); INSERT INTO patients VALUES('restored');"
                                    : "CREATE TABLE other(x);";
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(RestoreTest, RefusesWhileRunningAndReplacesOtherwise) {
  std::string dir = TempDir("restore");
  fs::create_directories(dir + "/registry");
  std::ofstream(dir + "/registry/registry.sqlite") << "old";
  std::ofstream(dir + "/registry/registry.sqlite-wal") << "oldwal";
  std::ofstream(dir + "/registry/registry.sqlite-shm") << "shm";
  MakeStore(dir + "/backup.sqlite", true);
  MakeStore(dir + "/foreign.sqlite", false);

  std::ofstream(dir + "/registry.pid") << getpid() << "\n";  // this process is certainly alive
  std::ostringstream out, err;
  EXPECT_EQ(ctl::Run({"restore", dir + "/backup.sqlite", "--data", dir}, out, err), kExitRefused) << err.str();
  EXPECT_NE(err.str().find("running"), std::string::npos) << err.str();
  EXPECT_EQ(ReadAll(dir + "/registry/registry.sqlite"), "old");

  std::ofstream(dir + "/registry.pid", std::ios::trunc) << "999999999\n";  // no such process
  EXPECT_EQ(ctl::Run({"restore", dir + "/foreign.sqlite", "--data", dir}, out, err), kExitRefused);
  EXPECT_EQ(ctl::Run({"restore", dir + "/missing.sqlite", "--data", dir}, out, err), kExitNotFound);
  EXPECT_EQ(ctl::Run({"restore", dir + "/backup.sqlite", "--data", dir}, out, err), kExitOk) << err.str();
  EXPECT_FALSE(fs::exists(dir + "/registry/registry.sqlite-wal"));
  EXPECT_FALSE(fs::exists(dir + "/registry/registry.sqlite-shm"));
  EXPECT_EQ(ReadAll(dir + "/registry/registry.sqlite"), ReadAll(dir + "/backup.sqlite"));
  int replaced = 0;
  for (const auto& e : fs::directory_iterator(dir + "/registry")) {
    replaced += e.path().filename().string().find("replaced-") != std::string::npos;
  }
  EXPECT_EQ(replaced, 2);  // the old store and its WAL, kept
}

TEST(SamlTest, IssuesAnAssertionTheServicesVerify) {
  const std::string dir = TempDir("saml");
  const auto idp = xua::testing::MakeTestIdp(dir, "idp");
  std::vector<std::string> argv = {"saml",
                                   "issue",
                                   "--subject",
                                   "dr-jansen",
                                   "--organization",
                                   "Clinic",
                                   "--organization-id",
                                   "urn:oid:2.999.1",
                                   "--role",
                                   "158965000",
                                   "--purpose",
                                   "EMERGENCY",
                                   "--patient",
                                   "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO",
                                   "--audience",
                                   "urn:x:registry",
                                   "--key",
                                   idp.key_path,
                                   "--cert",
                                   idp.cert_path,
                                   "--valid-minutes",
                                   "5"};
  std::ostringstream out, err;
  ASSERT_EQ(ctl::Run(argv, out, err), kExitOk) << err.str();
  xua::XuaConfig config;
  config.idp_certificates = {idp.cert_path};
  config.audience = "urn:x:registry";
  auto claims = xua::VerifyAssertion(out.str(), config, absl::Now());
  ASSERT_TRUE(claims.ok()) << claims.status() << "\n" << out.str();
  EXPECT_EQ(claims->purpose_of_use, "ETREAT");
  EXPECT_EQ(claims->organization_id, "urn:oid:2.999.1");
  EXPECT_EQ(claims->resource_id, "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  // Valid for --valid-minutes only (plus the 5 minutes of clock skew).
  EXPECT_FALSE(xua::VerifyAssertion(out.str(), config, absl::Now() + absl::Minutes(11)).ok());

  argv[11] = "RESEARCH";  // the value of --purpose
  std::ostringstream o2, e2;
  EXPECT_EQ(ctl::Run(argv, o2, e2), kExitUsage);
  EXPECT_EQ(ctl::Run({"saml", "issue", "--subject", "x"}, o2, e2), kExitUsage);
}

TEST(RunTest, UsageAndUnreachableExitCodes) {
  std::ostringstream out, err;
  EXPECT_EQ(ctl::Run({}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"--help"}, out, err), kExitOk);
  EXPECT_NE(out.str().find("Exit codes"), std::string::npos);
  for (const char* verb : {"patient", "find", "show", "submissions", "folders", "related", "retrieve", "submit",
                           "stats", "backup", "restore", "pki", "saml", "audit", "consent"}) {
    std::ostringstream o;
    EXPECT_EQ(ctl::Run({verb, "--help"}, o, err), kExitOk) << verb;
    EXPECT_NE(o.str().find("Example:"), std::string::npos) << verb;
  }
  EXPECT_EQ(ctl::Run({"frobnicate"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"find"}, out, err), kExitUsage);  // no --patient
  EXPECT_EQ(ctl::Run({"find", "--patient", "P^^^&1&ISO", "--output", "x"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"stats", "--registry", "http://127.0.0.1:1/xds/registry"}, out, err),
            kExitUsage);  // SOAP: no stats
  std::ostringstream json_out;
  EXPECT_EQ(ctl::Run({"find", "--patient", "P^^^&1&ISO", "--registry_grpc", "127.0.0.1:1", "--timeout_ms", "2000",
                      "--format=json"},
                     json_out, err),
            kExitUnreachable);
  EXPECT_NE(json_out.str().find("\"exitCode\":3"), std::string::npos) << json_out.str();
  EXPECT_EQ(ctl::Run({"find", "--patient", "P^^^&1&ISO", "--registry", "http://127.0.0.1:1/xds/registry"}, out, err),
            kExitUnreachable);
}

// `consent`: every malformed command line is a usage error (exit 2) found before any call;
// well-formed ones, the DESIGN §5 contract among them, get as far as the (absent) registry.
TEST(ConsentArgsTest, MalformedCommandLinesAreUsageErrors) {
  const std::vector<std::string> at = {"--registry_grpc", "127.0.0.1:1", "--timeout_ms", "2000"};
  const std::string p = "P^^^&1.2.3&ISO";
  auto run = [&](std::vector<std::string> args, std::string* message = nullptr) {
    args.insert(args.end(), at.begin(), at.end());
    std::ostringstream out, err;
    int code = ctl::Run(args, out, err);
    if (message != nullptr) *message = err.str();
    return code;
  };
  const std::vector<std::vector<std::string>> usage = {
      {"consent"},
      {"consent", "frobnicate", "--patient", p},
      {"consent", "grant", "--organization-id", "2.999.5.2"},                                 // no --patient
      {"consent", "grant", "--patient", p},                                                   // no subject
      {"consent", "grant", "--patient", p, "--organization-id", "1", "--professional", "d"},  // two subjects
      {"consent", "grant", "--patient", p, "--category", "hospital", "--everyone"},
      {"consent", "grant", "--patient", p, "--organization-id", ""},
      {"consent", "grant", "--patient", p, "--organization-id", "1", "--rule", "3"},  // --rule is revoke's
      {"consent", "grant", "--patient", p, "--organization-id", "1", "--from", "2026-01-01"},
      {"consent", "grant", "--patient", p, "--organization-id", "1", "--from", "20270101", "--to", "20260101"},
      {"consent", "grant", "--patient", p, "--organization-id", "1", "--data-category", ""},
      {"consent", "deny", "--patient", p, "--organization-id", "1", "--format=fhir"},
      {"consent", "grant", "extra", "--patient", p, "--organization-id", "1"},
      {"consent", "revoke", "--patient", p},                                               // neither rule nor subject
      {"consent", "revoke", "--patient", p, "--rule", "3", "--organization-id", "1"},      // both
      {"consent", "revoke", "--patient", p, "--rule", "3", "--data-category", "newborn"},  // category narrows a subject
      {"consent", "revoke", "--patient", p, "--organization-id", "1", "--from", "20260101"},
      {"consent", "list"},
      {"consent", "list", "--patient", p, "--organization-id", "1", "--professional", "d"},
      {"consent", "relationship", "--patient", p, "--organization-id", "1"},
      {"consent", "relationship", "begin", "--patient", p, "--organization-id", "1"},
      {"consent", "relationship", "start", "--patient", p},
      {"consent", "relationship", "start", "--patient", p, "--category", "hospital"},  // one party, not a category
      {"consent", "exclude", "--patient", p, "--everyone"},
      {"consent", "unexclude", "--patient", p, "--organization-id", "1", "--data-category", "x"},
      {"consent", "grant", "--patient", p, "--organization-id", "1", "--registry", "http://127.0.0.1:1/x",
       "--transport", "soap"},  // gRPC only
  };
  for (const auto& args : usage) {
    std::string message;
    EXPECT_EQ(run(args, &message), kExitUsage) << absl::StrJoin(args, " ") << "\n" << message;
  }
  std::string message;
  run({"consent", "revoke", "--patient", p, "--rule", "3", "--organization-id", "1"}, &message);
  EXPECT_NE(message.find("not both"), std::string::npos) << message;

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"consent", "grant", "--patient", p, "--organization-id", "2.999.5.2"},
           {"consent", "revoke", "--patient", p, "--organization-id", "2.999.5.2"},
           {"consent", "list", "--patient", p, "--organization-id", "2.999.5.2"},
           {"consent", "deny", "--patient", p, "--everyone", "--data-category", "psychosocial", "--from", "20260101",
            "--to", "20270101"},
           {"consent", "revoke", "--patient", p, "--rule", "7"},
           {"consent", "revoke", "--patient", p, "--category", "hospital", "--data-category", "newborn"},
           {"consent", "list", "--patient", p, "--format=json"},
           {"consent", "relationship", "end", "--patient", p, "--professional", "dr-a"},
           {"consent", "exclude", "--patient", p, "--organization-id", "2.999.6"},
       }) {
    EXPECT_EQ(run(args), kExitUnreachable) << absl::StrJoin(args, " ");
  }
}

// `pki` is local: init under --data's pki folder, issue with the JSON contract of DESIGN §5
// ({"cert": PEM_PATH, "key": PEM_PATH}), revoke, and the exit codes of refusals.
TEST(RunTest, PkiInitIssueRevoke) {
  std::string data = TempDir("pkidata");
  std::ostringstream out, err;
  ASSERT_EQ(ctl::Run({"--data", data, "pki", "init", "--region", "Test", "--format=json"}, out, err), kExitOk)
      << err.str();
  EXPECT_TRUE(fs::exists(data + "/pki/ca.pem"));
  EXPECT_NE(out.str().find("\"caCert\":\"" + data + "/pki/ca.pem\""), std::string::npos) << out.str();
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "init"}, out, err), kExitRefused);  // never overwritten

  std::ostringstream issued;
  ASSERT_EQ(ctl::Run({"--data", data, "pki", "issue", "--name", "Org A", "--organization-id", "2.999.7", "--roles",
                      "consumer,admin", "--format=json"},
                     issued, err),
            kExitOk)
      << err.str();
  std::smatch m;
  std::string json = issued.str();
  ASSERT_TRUE(std::regex_match(json, m, std::regex("\\{\"cert\":\"([^\"]+)\",\"key\":\"([^\"]+)\"\\}\n"))) << json;
  std::string cert = m[1], key = m[2];
  EXPECT_EQ(cert.rfind(data + "/pki/issued/Org_A-", 0), 0u) << cert;
  EXPECT_NE(ReadAll(cert).find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(fs::status(key).permissions(), fs::perms::owner_read | fs::perms::owner_write);

  std::ostringstream o;
  EXPECT_EQ(ctl::Run({"pki", "issue", "--dir", data + "/pki", "--name", "registry", "--organization-id", "2.999",
                      "--server", "--dns", "localhost", "--ip", "127.0.0.1,::1", "--days", "2"},
                     o, err),
            kExitOk)
      << err.str();
  EXPECT_NE(o.str().find("issued "), std::string::npos);
  EXPECT_EQ(
      ctl::Run({"--data", data, "pki", "issue", "--name", "B", "--organization-id", "1", "--roles", "nurse"}, o, err),
      kExitUsage);
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "issue", "--name", "B", "--organization-id", "1"}, o, err),
            kExitUsage);  // no --roles
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "init", "--name", "B"}, o, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"--data", data + "/nothing", "pki", "issue", "--name", "B", "--organization-id", "1", "--roles",
                      "source"},
                     o, err),
            kExitNotFound);  // no CA there

  std::ostringstream revoked;
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "revoke", cert, "--format=json"}, revoked, err), kExitOk) << err.str();
  EXPECT_NE(revoked.str().find("\"crl\":\"" + data + "/pki/crl.pem\""), std::string::npos) << revoked.str();
  EXPECT_NE(ReadAll(data + "/pki/index.txt").find("R\t"), std::string::npos);
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "revoke", "ABCDEF"}, o, err), kExitNotFound);
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "revoke"}, o, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"--data", data, "pki", "crl"}, o, err), kExitOk) << err.str();
  EXPECT_EQ(ctl::Run({"--data", data + "/nothing", "pki", "crl"}, o, err), kExitNotFound);
}

}  // namespace
}  // namespace xds::ctl
