// xdsctl audit: events as JSON (DESIGN §5 keys), as FHIR R4 AuditEvents (IHE BALP), as a
// table; the verb's arguments; and the verbs against an in-process AuditService.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proto/audit.grpc.pb.h"
#include "registry/shared/mime/base64.h"
#include "tools/xdsctl/audit_output.h"
#include "tools/xdsctl/commands.h"

namespace xds::ctl {
namespace {

using nlohmann::json;

constexpr char kPatient[] = "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO";
constexpr int64_t kTime = 1796605323456;  // 2026-12-07T01:02:03.456Z

// Break-the-glass ITI-43 of three documents by a doctor of another organisation.
AuditEvent EmergencyRetrieve() {
  AuditEvent e;
  e.set_seq(42);
  e.set_time_ms(kTime);
  e.set_transaction("ITI-43");
  e.set_action("R");
  e.set_outcome(0);
  e.set_organization_id("2.999.1.7");
  e.set_node_subject("CN=Midwives-North,O=Midwives-North");
  e.set_user_id("dr-jansen");
  e.set_user_name("Dr. A. Jansen");
  e.set_user_organization("Clinic North");
  e.set_user_organization_id("urn:oid:2.999.1");
  e.set_role("158965000");
  e.set_purpose_of_use("ETREAT");
  e.set_emergency(true);
  e.set_assertion_id("_a1b2");
  e.set_assertion_issuer("https://idp.example.org");
  e.set_peer("ipv4:10.0.0.7:53211");
  e.add_patient_ids(kPatient);
  e.add_patient_ids("OTHER-9^^^&2.999.9&ISO");
  for (const char* id : {"2.25.1", "2.25.2", "2.25.3"}) {
    e.add_document_unique_ids(id);
    e.add_repository_unique_ids("1.3.6.1.4.1.21367.2010.1.2.1125");
  }
  e.set_service("xds-repository");
  e.set_endpoint("https://repo.example.org:8020/xds/repository");
  return e;
}

// ITI-18 FindDocuments as asked, refused with an XDS error.
AuditEvent RefusedQuery() {
  AuditEvent e;
  e.set_seq(7);
  e.set_time_ms(kTime);
  e.set_transaction("ITI-18");
  e.set_action("E");
  e.set_outcome(8);
  e.set_error_code("XDSUnknownPatientId");
  e.set_organization_id("2.999.1.7");
  e.set_purpose_of_use("TREAT");
  e.add_patient_ids(kPatient);
  e.set_home_community_id("urn:oid:2.999.42");
  StoredQueryRequest* q = e.mutable_query();
  q->set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  QueryParameter* p = q->add_parameters();
  p->set_name("$XDSDocumentEntryPatientId");
  p->add_values(std::string("'") + kPatient + "'");
  e.set_service("xds-registry");
  return e;
}

json Parse(const OrderedJson& j) {
  std::string text = DumpJson(j);
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line per object";
  return json::parse(text);
}

json AgentOfType(const json& audit_event, const std::string& code) {
  for (const auto& a : audit_event["agent"]) {
    for (const auto& c : a["type"]["coding"])
      if (c["code"] == code) return a;
  }
  return nullptr;
}

TEST(AuditTimeTest, DtmAndIsoTime) {
  EXPECT_EQ(*DtmToMillis("20261207", "from"), 1796601600000);
  EXPECT_EQ(*DtmToMillis("20261207013000", "to"), 1796607000000);
  EXPECT_EQ(*DtmToMillis("2026", "from"), *DtmToMillis("20260101000000", "from"));
  for (const char* bad : {"", "2026130", "20261332", "2026-12-07", "20261207T01", "abcd"}) {
    auto r = DtmToMillis(bad, "from");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--from"), absl::string_view::npos);
    EXPECT_NE(r.status().message().find("YYYY[MM[DD"), absl::string_view::npos);
  }
  EXPECT_EQ(IsoTime(kTime), "2026-12-07T01:02:03.456Z");
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00.000Z");
}

TEST(AuditJsonTest, DesignKeysForABreakTheGlassRetrieveOfSeveralDocuments) {
  AuditLogResponse r;
  *r.add_events() = EmergencyRetrieve();
  json j = Parse(AuditLogJson(r));
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["truncated"], false);
  const json& e = j["events"][0];
  for (const char* key : {"time", "action", "transaction", "outcome", "organizationId", "userId", "role",
                          "purposeOfUse", "emergency", "documentUniqueIds", "patientId"}) {
    EXPECT_TRUE(e.contains(key)) << key;
  }
  EXPECT_EQ(e["time"], "2026-12-07T01:02:03.456Z");
  EXPECT_EQ(e["action"], "retrieve");
  EXPECT_EQ(e["actionCode"], "R");
  EXPECT_EQ(e["transaction"], "ITI-43");
  EXPECT_EQ(e["outcome"], "success");
  EXPECT_EQ(e["outcomeCode"], 0);
  EXPECT_EQ(e["organizationId"], "2.999.1.7");
  EXPECT_EQ(e["userId"], "dr-jansen");
  EXPECT_EQ(e["userName"], "Dr. A. Jansen");
  EXPECT_EQ(e["role"], "158965000");
  EXPECT_EQ(e["purposeOfUse"], "ETREAT");
  EXPECT_EQ(e["emergency"], true);
  EXPECT_EQ(e["documentUniqueIds"], json({"2.25.1", "2.25.2", "2.25.3"}));
  EXPECT_EQ(e["repositoryUniqueIds"].size(), 3u);
  EXPECT_EQ(e["patientId"], kPatient);
  EXPECT_EQ(e["patientIds"], json({kPatient, "OTHER-9^^^&2.999.9&ISO"}));
  EXPECT_EQ(e["seq"], 42);
  EXPECT_EQ(e["service"], "xds-repository");
  EXPECT_FALSE(e.contains("errorCode"));  // optional extras only when set
  EXPECT_FALSE(e.contains("query"));
}

TEST(AuditJsonTest, EmptyEventStillHasEveryDesignKey) {
  AuditLogResponse r;
  r.add_events();
  r.set_truncated(true);
  json j = Parse(AuditLogJson(r));
  const json& e = j["events"][0];
  EXPECT_EQ(e["patientId"], "");
  EXPECT_EQ(e["documentUniqueIds"], json::array());
  EXPECT_EQ(e["emergency"], false);
  EXPECT_EQ(j["truncated"], true);
}

TEST(AuditJsonTest, QueryAndRefusal) {
  AuditLogResponse r;
  *r.add_events() = RefusedQuery();
  json e = Parse(AuditLogJson(r))["events"][0];
  EXPECT_EQ(e["action"], "query");
  EXPECT_EQ(e["outcome"], "failure");
  EXPECT_EQ(e["outcomeCode"], 8);
  EXPECT_EQ(e["errorCode"], "XDSUnknownPatientId");
  EXPECT_EQ(e["query"]["queryId"], "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  EXPECT_EQ(e["query"]["parameters"][0]["name"], "$XDSDocumentEntryPatientId");
  EXPECT_EQ(e["query"]["parameters"][0]["values"][0], std::string("'") + kPatient + "'");
}

TEST(AuditJsonTest, HostileStringsSurviveARoundTrip) {
  const std::string hostile = "a\"b\\c\nd\te\r\x01 Zoë 患者 \xF0\x9F\x9A\x91 </script>";
  AuditEvent e = EmergencyRetrieve();
  e.set_user_id(hostile);
  e.set_detail(hostile);
  e.set_role("\"},{\"injected\":true");
  e.set_document_unique_ids(1, "x\"]}");
  e.set_purpose_of_use("bad \xFF\xFE utf-8");  // not UTF-8: replaced, never a crash
  AuditLogResponse r;
  *r.add_events() = e;
  json j = Parse(AuditLogJson(r));
  const json& out = j["events"][0];
  EXPECT_EQ(out["userId"], hostile);
  EXPECT_EQ(out["detail"], hostile);
  EXPECT_EQ(out["role"], "\"},{\"injected\":true");
  EXPECT_FALSE(out.contains("injected"));
  EXPECT_EQ(out["documentUniqueIds"][1], "x\"]}");
  EXPECT_EQ(out["purposeOfUse"], "bad \xEF\xBF\xBD\xEF\xBF\xBD utf-8");

  json f = Parse(AuditLogFhir(r));
  json user = AgentOfType(f["entry"][0]["resource"], "IRCP");
  EXPECT_EQ(user["who"]["identifier"]["value"], hostile);

  // The table keeps one line per event whatever the strings hold.
  std::string table = AuditLogTable(r);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 3) << table;  // header, event, count
}

TEST(AuditFhirTest, BreakTheGlassRetrieveFollowsBalp) {
  AuditLogResponse r;
  *r.add_events() = EmergencyRetrieve();
  json b = Parse(AuditLogFhir(r));
  EXPECT_EQ(b["resourceType"], "Bundle");
  EXPECT_EQ(b["type"], "collection");
  ASSERT_EQ(b["entry"].size(), 1u);
  const json& a = b["entry"][0]["resource"];
  EXPECT_EQ(a["resourceType"], "AuditEvent");
  EXPECT_EQ(a["id"], "xds-audit-42");
  EXPECT_EQ(a["type"]["system"], "http://dicom.nema.org/resources/ontology/DCM");
  EXPECT_EQ(a["type"]["code"], "110106");  // Export: the repository sent the documents
  EXPECT_EQ(a["subtype"][0],
            json({{"system", "urn:ihe:event-type-code"}, {"code", "ITI-43"}, {"display", "Retrieve Document Set"}}));
  EXPECT_EQ(a["action"], "R");
  EXPECT_EQ(a["recorded"], "2026-12-07T01:02:03.456Z");
  EXPECT_EQ(a["outcome"], "0");  // R4: a code string
  EXPECT_FALSE(a.contains("outcomeDesc"));

  // Emergency treatment and break-the-glass, as HL7 ActReason codes.
  std::vector<std::string> purposes;
  for (const auto& p : a["purposeOfEvent"]) {
    EXPECT_EQ(p["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/v3-ActReason");
    purposes.push_back(p["coding"][0]["code"]);
  }
  EXPECT_EQ(purposes, (std::vector<std::string>{"ETREAT", "BTG"}));

  json user = AgentOfType(a, "IRCP");
  ASSERT_FALSE(user.is_null());
  EXPECT_EQ(user["requestor"], true);
  EXPECT_EQ(user["who"]["identifier"]["value"], "dr-jansen");
  EXPECT_EQ(user["who"]["identifier"]["system"], "https://idp.example.org");
  EXPECT_EQ(user["name"], "Dr. A. Jansen");
  EXPECT_EQ(user["role"][0]["coding"][0]["system"], "http://snomed.info/sct");
  EXPECT_EQ(user["role"][0]["coding"][0]["code"], "158965000");
  EXPECT_EQ(user["policy"][0], "_a1b2");
  EXPECT_EQ(user["purposeOfUse"], a["purposeOfEvent"]);

  json org = AgentOfType(a, "PROV");
  EXPECT_EQ(org["who"]["identifier"]["value"], "urn:oid:2.999.1");
  EXPECT_EQ(org["who"]["display"], "Clinic North");
  EXPECT_EQ(org["requestor"], false);

  json node = AgentOfType(a, "110153");
  EXPECT_EQ(node["who"]["identifier"]["value"], "2.999.1.7");
  EXPECT_EQ(node["who"]["display"], "CN=Midwives-North,O=Midwives-North");
  EXPECT_EQ(node["requestor"], false);  // the user is
  EXPECT_EQ(node["network"], json({{"address", "10.0.0.7"}, {"type", "2"}}));

  json server = AgentOfType(a, "110152");
  EXPECT_EQ(server["who"]["display"], "xds-repository");

  EXPECT_EQ(a["source"]["observer"]["display"], "xds-repository");
  EXPECT_EQ(a["source"]["type"][0]["code"], "4");

  // Entities: two patients, three documents.
  ASSERT_EQ(a["entity"].size(), 5u);
  const json& patient = a["entity"][0];
  EXPECT_EQ(patient["what"]["type"], "Patient");
  EXPECT_EQ(patient["what"]["identifier"],
            json({{"system", "urn:oid:1.3.6.1.4.1.21367.2005.3.7"}, {"value", "BSN-1"}}));
  EXPECT_EQ(patient["type"]["code"], "1");
  EXPECT_EQ(patient["role"]["code"], "1");
  for (int i = 0; i < 3; ++i) {
    const json& doc = a["entity"][2 + i];
    EXPECT_EQ(doc["what"]["type"], "DocumentReference");
    EXPECT_EQ(doc["what"]["identifier"]["system"], "urn:ietf:rfc:3986");
    EXPECT_EQ(doc["what"]["identifier"]["value"], "urn:oid:2.25." + std::to_string(i + 1));
    EXPECT_EQ(doc["role"]["code"], "3");
    EXPECT_EQ(doc["detail"][0]["type"], "Repository Unique Id");
    EXPECT_EQ(doc["detail"][0]["valueString"], "1.3.6.1.4.1.21367.2010.1.2.1125");
  }
}

TEST(AuditFhirTest, StoredQueryCarriesTheQueryBase64) {
  AuditLogResponse r;
  *r.add_events() = RefusedQuery();
  json a = Parse(AuditLogFhir(r))["entry"][0]["resource"];
  EXPECT_EQ(a["type"]["code"], "110112");
  EXPECT_EQ(a["subtype"][0]["code"], "ITI-18");
  EXPECT_EQ(a["subtype"][0]["display"], "Registry Stored Query");
  EXPECT_EQ(a["action"], "E");
  EXPECT_EQ(a["outcome"], "8");
  EXPECT_EQ(a["outcomeDesc"], "XDSUnknownPatientId");
  EXPECT_EQ(a["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
  // No user: the node is the requestor.
  EXPECT_TRUE(AgentOfType(a, "IRCP").is_null());
  EXPECT_EQ(AgentOfType(a, "110153")["requestor"], true);
  EXPECT_EQ(AgentOfType(a, "homeCommunityId")["who"]["identifier"]["value"], "urn:oid:2.999.42");
  const json* query = nullptr;
  for (const auto& entity : a["entity"])
    if (entity["role"]["code"] == "24") query = &entity;
  ASSERT_NE(query, nullptr);
  EXPECT_EQ((*query)["type"]["code"], "2");
  EXPECT_FALSE(query->contains("what"));  // BALP: the query entity has no .what
  auto xml = DecodeBase64((*query)["query"].get<std::string>());
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("AdhocQueryRequest"), std::string::npos) << *xml;
  EXPECT_NE(xml->find("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"), std::string::npos) << *xml;
  EXPECT_NE(xml->find("$XDSDocumentEntryPatientId"), std::string::npos) << *xml;
  EXPECT_NE(xml->find("BSN-1^^^&amp;1.3.6.1.4.1.21367.2005.3.7&amp;ISO"), std::string::npos) << *xml;
}

TEST(AuditFhirTest, RefusalsAdminActsAndOutcomes) {
  AuditEvent tls;
  tls.set_time_ms(kTime);
  tls.set_transaction("TLS");
  tls.set_outcome(8);
  tls.set_detail("certificate revoked");
  tls.set_peer("[2001:db8::1]:4433");
  EXPECT_EQ(ActionWord(tls), "refused");
  AuditEvent admin;
  admin.set_transaction("Backup");
  admin.set_outcome(12);
  EXPECT_EQ(ActionWord(admin), "admin");
  EXPECT_EQ(OutcomeWord(4), "partial");
  EXPECT_EQ(OutcomeWord(12), "error");
  AuditEvent add = admin;
  add.set_transaction("AddPatient");
  add.set_outcome(0);
  EXPECT_EQ(ActionWord(add), "admin");
  for (const char* t : {"ITI-41", "ITI-42"}) {
    AuditEvent e;
    e.set_transaction(t);
    EXPECT_EQ(ActionWord(e), std::string(t) == "ITI-41" ? "provide" : "register");
  }

  tls.add_patient_ids("");  // FHIR JSON has no empty strings
  tls.add_document_unique_ids("");
  AuditLogResponse r;
  *r.add_events() = tls;
  *r.add_events() = admin;
  *r.add_events() = add;
  json b = Parse(AuditLogFhir(r));
  json t = b["entry"][0]["resource"];
  EXPECT_EQ(t["type"]["code"], "110113");
  EXPECT_EQ(t["subtype"][0]["code"], "110126");
  EXPECT_EQ(t["outcome"], "8");
  EXPECT_EQ(t["outcomeDesc"], "certificate revoked");
  EXPECT_EQ(AgentOfType(t, "110153")["network"], json({{"address", "2001:db8::1"}, {"type", "2"}}));
  EXPECT_FALSE(t.contains("entity"));
  json a = b["entry"][1]["resource"];
  EXPECT_EQ(a["type"]["code"], "110100");
  EXPECT_EQ(a["subtype"][0]["code"], "Backup");
  EXPECT_EQ(a["outcome"], "12");
  EXPECT_FALSE(a.contains("id"));                                  // no seq, no id
  EXPECT_EQ(b["entry"][2]["resource"]["type"]["code"], "110110");  // Patient Record
  // What R4 requires of every AuditEvent: type, recorded, agent (1..*), source.observer.
  for (const auto& entry : b["entry"]) {
    const json& ev = entry["resource"];
    EXPECT_TRUE(ev.contains("type") && ev.contains("recorded") && ev.contains("source"));
    EXPECT_GE(ev["agent"].size(), 1u);
    EXPECT_TRUE(ev["source"].contains("observer"));
    for (const auto& ag : ev["agent"]) EXPECT_TRUE(ag.contains("requestor"));
  }
}

TEST(AuditTableTest, OneLinePerEvent) {
  AuditLogResponse r;
  *r.add_events() = EmergencyRetrieve();
  *r.add_events() = RefusedQuery();
  r.set_truncated(true);
  std::string t = AuditLogTable(r);
  EXPECT_EQ(t.rfind("TIME", 0), 0u) << t;
  EXPECT_NE(t.find("retrieve"), std::string::npos);
  EXPECT_NE(t.find("ETREAT BREAK-THE-GLASS"), std::string::npos) << t;
  EXPECT_NE(t.find("failure XDSUnknownPatientId"), std::string::npos) << t;
  EXPECT_NE(t.find("2.25.1,2.25.2,2.25.3"), std::string::npos) << t;
  EXPECT_NE(t.find("2 events (more matched"), std::string::npos) << t;
}

TEST(AuditRunTest, ArgumentErrorsAreUsageErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(ctl::Run({"audit"}, out, err), kExitUsage);
  EXPECT_NE(err.str().find("audit needs --patient"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--from", "2026-12-07"}, out, err), kExitUsage);
  EXPECT_NE(err.str().find("--from '2026-12-07' is no HL7 date/time"), std::string::npos) << err.str();
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--to", "20261340"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--from", "20261208", "--to", "20261207"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--limit", "0"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--format=xml"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "frobnicate"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "verify", "--patient", kPatient}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "verify", "--format=fhir"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"find", "--patient", kPatient, "--format=fhir"}, out, err), kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--registry", "http://127.0.0.1:1/xds/registry"}, out, err),
            kExitUsage);  // no audit over SOAP
  std::ostringstream json_out;
  EXPECT_EQ(ctl::Run({"audit", "--patient", kPatient, "--from", "bad", "--format=json"}, json_out, err), kExitUsage);
  EXPECT_EQ(json::parse(json_out.str())["error"]["exitCode"], kExitUsage);
  EXPECT_EQ(ctl::Run({"audit", "verify", "--registry_grpc", "127.0.0.1:1", "--timeout_ms", "1000"}, out, err),
            kExitUnreachable);
  std::ostringstream help;
  EXPECT_EQ(ctl::Run({"audit", "--help"}, help, err), kExitOk);
  EXPECT_NE(help.str().find("Example:"), std::string::npos);
}

// A stand-in for the registry's AuditService: remembers the request, answers as told.
class FakeAuditService : public AuditService::Service {
 public:
  grpc::Status Log(grpc::ServerContext*, const AuditLogRequest* request, AuditLogResponse* response) override {
    last_request = *request;
    *response = log;
    return grpc::Status::OK;
  }
  grpc::Status Verify(grpc::ServerContext*, const VerifyAuditRequest*, VerifyAuditResponse* response) override {
    *response = verify;
    return grpc::Status::OK;
  }
  AuditLogRequest last_request;
  AuditLogResponse log;
  VerifyAuditResponse verify;
};

class AuditServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override { server_->Shutdown(); }

  int Ctl(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    args.insert(args.end(), {"--registry_grpc", address_, "--timeout_ms", "10000"});
    return ctl::Run(args, out_, err_);
  }

  FakeAuditService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::ostringstream out_, err_;
};

TEST_F(AuditServerTest, LogInEveryFormat) {
  *service_.log.add_events() = EmergencyRetrieve();
  *service_.log.add_events() = RefusedQuery();
  ASSERT_EQ(Ctl({"audit", "--patient", kPatient, "--from", "20261201", "--to", "20261207013000", "--limit", "50",
                 "--format=json"}),
            kExitOk)
      << err_.str();
  EXPECT_EQ(service_.last_request.patient_id(), kPatient);
  EXPECT_EQ(service_.last_request.from_ms(), *DtmToMillis("20261201", "from"));
  EXPECT_EQ(service_.last_request.to_ms(), 1796607000000);
  EXPECT_EQ(service_.last_request.limit(), 50);
  json j = json::parse(out_.str());
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][1]["action"], "query");

  ASSERT_EQ(Ctl({"audit", "--patient", kPatient, "--format=fhir"}), kExitOk) << err_.str();
  EXPECT_EQ(service_.last_request.from_ms(), 0);  // open ends
  EXPECT_EQ(service_.last_request.limit(), 0);
  json b = json::parse(out_.str());
  EXPECT_EQ(b["resourceType"], "Bundle");
  EXPECT_EQ(b["entry"].size(), 2u);

  ASSERT_EQ(Ctl({"audit", "--patient", kPatient, "--format=text"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("2 events"), std::string::npos) << out_.str();

  service_.log.set_truncated(true);
  ASSERT_EQ(Ctl({"audit", "--patient", kPatient, "--format=json"}), kExitOk);
  EXPECT_EQ(json::parse(out_.str())["truncated"], true);
  EXPECT_NE(err_.str().find("more events matched"), std::string::npos);
}

TEST_F(AuditServerTest, VerifyExitsZeroOnlyWhenIntact) {
  service_.verify.set_intact(true);
  service_.verify.set_events(120);
  service_.verify.set_first_seq(1);
  service_.verify.set_last_seq(120);
  ASSERT_EQ(Ctl({"audit", "verify"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "audit trail intact (120 events, seq 1..120)\n");
  ASSERT_EQ(Ctl({"audit", "verify", "--format=json"}), kExitOk);
  EXPECT_EQ(json::parse(out_.str()),
            json({{"intact", true}, {"events", 120}, {"firstSeq", 1}, {"lastSeq", 120}, {"problem", ""}}));

  service_.verify.set_intact(false);
  service_.verify.set_events(57);
  service_.verify.set_last_seq(57);
  service_.verify.set_problem("seq 57: hash does not match the chain (prev of seq 56)");
  EXPECT_EQ(Ctl({"audit", "verify"}), kExitBroken);
  EXPECT_NE(err_.str().find("the audit trail is broken: seq 57: hash does not match"), std::string::npos) << err_.str();
  EXPECT_EQ(Ctl({"audit", "verify", "--format=json"}), kExitBroken);
  json v = json::parse(out_.str());
  EXPECT_EQ(v["intact"], false);
  EXPECT_EQ(v["problem"], "seq 57: hash does not match the chain (prev of seq 56)");
}

}  // namespace
}  // namespace xds::ctl
