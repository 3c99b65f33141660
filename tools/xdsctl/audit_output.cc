#include "tools/xdsctl/audit_output.h"

#include <cstdio>
#include <vector>

#include <pugixml.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/mime/base64.h"
#include "registry/shared/model/dtm.h"
#include "tools/xdsctl/output.h"

namespace xds::ctl {
namespace {

constexpr char kDicom[] = "http://dicom.nema.org/resources/ontology/DCM";
constexpr char kIheEventType[] = "urn:ihe:event-type-code";
// Administrative acts of this project (AddPatient, Backup, ...) have no IHE code.
constexpr char kLocalActs[] = "urn:xds:audit:act";
constexpr char kActReason[] = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
constexpr char kParticipationType[] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr char kRoleClass[] = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
constexpr char kBalpUserAgent[] = "https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes";
constexpr char kEntityType[] = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr char kObjectRole[] = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr char kOutcomeSystem[] = "http://terminology.hl7.org/CodeSystem/audit-event-outcome";
constexpr char kSourceType[] = "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr char kRfc3986[] = "urn:ietf:rfc:3986";

// How each transaction is coded: ITI TF-2's audit message per transaction, as recorded by
// the service that answers it (the registry or the repository).
struct Act {
  const char* transaction;
  const char* word;
  const char* action;  // DICOM EventActionCode when the event carries none
  const char* type_code;
  const char* type_display;
  const char* name;  // the transaction's title (subtype display)
};

constexpr Act kActs[] = {
    {"ITI-18", "query", "E", "110112", "Query", "Registry Stored Query"},
    {"ITI-41", "provide", "C", "110107", "Import", "Provide and Register Document Set-b"},
    {"ITI-42", "register", "C", "110107", "Import", "Register Document Set-b"},
    {"ITI-43", "retrieve", "R", "110106", "Export", "Retrieve Document Set"},
    // xdsctl retrieve: the repository's internal gRPC retrieval of one document.
    {"Retrieve", "retrieve", "R", "110106", "Export", "Retrieve Document (gRPC)"},
    {"ITI-57", "update", "U", "110107", "Import", "Update Document Set"},
    {"ITI-62", "delete", "D", "110110", "Patient Record", "Delete Document Set"},
    {"ITI-86", "remove", "D", "110110", "Patient Record", "Remove Documents"},
    {"ITI-8", "patient-feed", "C", "110110", "Patient Record", "Patient Identity Feed"},
    {"ITI-44", "patient-feed", "C", "110110", "Patient Record", "Patient Identity Feed HL7 V3"},
    {"AddPatient", "admin", "C", "110110", "Patient Record", "Admit a patient id"},
};

const Act* FindAct(const std::string& transaction) {
  for (const Act& a : kActs)
    if (transaction == a.transaction) return &a;
  return nullptr;
}

bool IsTls(const AuditEvent& e) { return e.transaction() == "TLS"; }

// A refusal recorded before the service knew what was asked (handshake, unknown action).
bool IsBareRefusal(const AuditEvent& e) { return e.outcome() != 0 && (e.transaction().empty() || IsTls(e)); }

std::string ActionCode(const AuditEvent& e) {
  if (!e.action().empty()) return e.action();
  const Act* a = FindAct(e.transaction());
  return a ? a->action : "E";
}

bool IsOid(const std::string& s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (char c : s)
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  return true;
}

bool IsAllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

OrderedJson Coding(const std::string& system, const std::string& code, const std::string& display = "") {
  OrderedJson c = {{"system", system}, {"code", code}};
  if (!display.empty()) c["display"] = display;
  return c;
}

OrderedJson Concept(OrderedJson coding) { return {{"coding", OrderedJson::array({std::move(coding)})}}; }

// A uniqueId as an RFC 3986 URI identifier (urn:oid:...); ids that are no OID stay as given.
OrderedJson UriIdentifier(const std::string& id) {
  if (IsOid(id)) return {{"system", kRfc3986}, {"value", "urn:oid:" + id}};
  if (absl::StartsWith(id, "urn:")) return {{"system", kRfc3986}, {"value", id}};
  return {{"value", id}};
}

// CX ID^^^&OID&ISO: value ID under system urn:oid:OID; anything else kept whole.
OrderedJson PatientIdentifier(const std::string& cx) {
  std::vector<std::string> comps = absl::StrSplit(cx, '^');
  if (comps.size() >= 4 && !comps[0].empty()) {
    std::vector<std::string> authority = absl::StrSplit(comps[3], '&');
    if (authority.size() >= 2 && IsOid(authority[1])) {
      return {{"system", "urn:oid:" + authority[1]}, {"value", comps[0]}};
    }
  }
  return {{"value", cx}};
}

// The purpose of use as HL7 ActReason codes (XUA carries TREAT/ETREAT; older events may say
// TREATMENT/EMERGENCY); break-the-glass adds BTG so that it can be searched for.
OrderedJson PurposeOfUse(const AuditEvent& e) {
  OrderedJson list = OrderedJson::array();
  const std::string& p = e.purpose_of_use();
  if (p == "TREAT" || p == "TREATMENT") {
    list.push_back(Concept(Coding(kActReason, "TREAT", "treatment")));
  } else if (p == "ETREAT" || p == "EMERGENCY") {
    list.push_back(Concept(Coding(kActReason, "ETREAT", "Emergency Treatment")));
  } else if (!p.empty()) {
    list.push_back({{"text", p}});
  }
  if (e.emergency()) list.push_back(Concept(Coding(kActReason, "BTG", "break the glass")));
  return list;
}

// A peer as recorded ("ip:port", "[v6]:port", gRPC's "ipv4:ip:port") without the port.
std::string PeerHost(std::string peer) {
  for (const char* prefix : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(peer, prefix)) peer = peer.substr(std::string(prefix).size());
  }
  peer = absl::StrReplaceAll(peer, {{"%5B", "["}, {"%5D", "]"}});  // newer gRPC escapes the brackets
  if (!peer.empty() && peer.front() == '[') {
    size_t close = peer.find(']');
    return close == std::string::npos ? peer : peer.substr(1, close - 1);
  }
  size_t colon = peer.rfind(':');
  if (colon != std::string::npos && peer.find(':') == colon) return peer.substr(0, colon);
  return peer;
}

bool LooksLikeIp(const std::string& host) {
  if (host.find(':') != std::string::npos) return true;  // IPv6
  for (char c : host)
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  return !host.empty();
}

OrderedJson StringArray(const google::protobuf::RepeatedPtrField<std::string>& list) {
  OrderedJson a = OrderedJson::array();
  for (const auto& s : list) a.push_back(s);
  return a;
}

// The query the way ITI-18 carried it (an AdhocQueryRequest), as BALP's entity.query wants.
std::string QueryXml(const StoredQueryRequest& query) {
  pugi::xml_document doc;
  ebrim::AppendAdhocQueryRequest(doc, query);
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
  } writer;
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return writer.out;
}

OrderedJson QueryJson(const StoredQueryRequest& query) {
  OrderedJson params = OrderedJson::array();
  for (const auto& p : query.parameters()) {
    params.push_back({{"name", p.name()}, {"values", StringArray(p.values())}});
  }
  OrderedJson q = {{"queryId", query.query_id()}, {"parameters", std::move(params)}};
  if (!query.home().empty()) q["homeCommunityId"] = query.home();
  return q;
}

void SetIf(OrderedJson& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

}  // namespace

absl::StatusOr<int64_t> DtmToMillis(const std::string& dtm, const std::string& flag) {
  std::string n = NormalizeDtm(dtm);
  if (n.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " '", dtm, "' is no HL7 date/time: want YYYY[MM[DD[hh[mm[ss]]]]] in UTC, e.g. 20261207 or ",
        "20261207013000"));
  }
  auto num = [&](size_t pos, size_t len) { return std::stoi(n.substr(pos, len)); };
  absl::CivilSecond cs(num(0, 4), num(4, 2), num(6, 2), num(8, 2), num(10, 2), num(12, 2));
  return absl::ToUnixMillis(absl::FromCivil(cs, absl::UTCTimeZone()));
}

std::string IsoTime(int64_t ms) {
  absl::Time t = absl::FromUnixMillis(ms);
  int64_t millis = ((ms % 1000) + 1000) % 1000;
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(millis));
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, absl::UTCTimeZone()) + frac + "Z";
}

std::string ActionWord(const AuditEvent& e) {
  if (IsBareRefusal(e)) return "refused";
  if (IsTls(e)) return "authenticate";
  if (const Act* a = FindAct(e.transaction())) return a->word;
  if (!e.transaction().empty() && !absl::StartsWith(e.transaction(), "ITI-")) return "admin";
  const std::string code = ActionCode(e);
  if (code == "C") return "create";
  if (code == "R") return "read";
  if (code == "U") return "change";
  if (code == "D") return "erase";
  return "execute";
}

std::string OutcomeWord(int outcome) {
  switch (outcome) {
    case 0:
      return "success";
    case 4:
      return "partial";
    case 8:
      return "failure";
    default:
      return "error";
  }
}

OrderedJson AuditEventJson(const AuditEvent& e) {
  // The keys DESIGN §5 names come always (empty when unknown); the rest only when set.
  OrderedJson j;
  j["time"] = IsoTime(e.time_ms());
  j["action"] = ActionWord(e);
  j["actionCode"] = ActionCode(e);
  j["transaction"] = e.transaction();
  j["outcome"] = OutcomeWord(e.outcome());
  j["outcomeCode"] = e.outcome();
  j["organizationId"] = e.organization_id();
  j["userId"] = e.user_id();
  j["role"] = e.role();
  j["purposeOfUse"] = e.purpose_of_use();
  j["emergency"] = e.emergency();
  j["documentUniqueIds"] = StringArray(e.document_unique_ids());
  j["patientId"] = e.patient_ids_size() > 0 ? e.patient_ids(0) : "";
  j["patientIds"] = StringArray(e.patient_ids());
  SetIf(j, "errorCode", e.error_code());
  SetIf(j, "detail", e.detail());
  SetIf(j, "userName", e.user_name());
  SetIf(j, "userOrganization", e.user_organization());
  SetIf(j, "userOrganizationId", e.user_organization_id());
  SetIf(j, "nodeSubject", e.node_subject());
  SetIf(j, "onBehalfOf", e.on_behalf_of());
  SetIf(j, "assertionId", e.assertion_id());
  SetIf(j, "assertionIssuer", e.assertion_issuer());
  SetIf(j, "peer", e.peer());
  SetIf(j, "messageId", e.message_id());
  if (e.class_codes_size() > 0) j["classCodes"] = StringArray(e.class_codes());
  if (e.repository_unique_ids_size() > 0) j["repositoryUniqueIds"] = StringArray(e.repository_unique_ids());
  SetIf(j, "submissionSetUniqueId", e.submission_set_unique_id());
  SetIf(j, "homeCommunityId", e.home_community_id());
  if (e.has_query()) j["query"] = QueryJson(e.query());
  SetIf(j, "service", e.service());
  SetIf(j, "endpoint", e.endpoint());
  SetIf(j, "origin", e.origin());
  if (e.origin_seq() != 0) j["originSeq"] = e.origin_seq();
  if (e.seq() != 0) j["seq"] = e.seq();
  return j;
}

OrderedJson AuditLogJson(const AuditLogResponse& r) {
  OrderedJson events = OrderedJson::array();
  for (const auto& e : r.events()) events.push_back(AuditEventJson(e));
  return {{"events", std::move(events)}, {"truncated", r.truncated()}};
}

OrderedJson AuditEventFhir(const AuditEvent& e) {
  const Act* act = FindAct(e.transaction());
  const std::string word = ActionWord(e);
  OrderedJson a;
  a["resourceType"] = "AuditEvent";
  if (e.seq() > 0) a["id"] = absl::StrCat("xds-audit-", e.seq());

  // type: DICOM event id; subtype: the IHE transaction (or this project's act).
  if (act) {
    a["type"] = Coding(kDicom, act->type_code, act->type_display);
  } else if (IsTls(e) || IsBareRefusal(e)) {
    a["type"] = Coding(kDicom, "110113", "Security Alert");
  } else {
    a["type"] = Coding(kDicom, "110100", "Application Activity");
  }
  OrderedJson subtype = OrderedJson::array();
  if (absl::StartsWith(e.transaction(), "ITI-")) {
    subtype.push_back(Coding(kIheEventType, e.transaction(), act ? act->name : ""));
  } else if (IsTls(e)) {
    subtype.push_back(Coding(kDicom, "110126", "Node Authentication"));
  } else if (!e.transaction().empty()) {
    subtype.push_back(Coding(kLocalActs, e.transaction(), act ? act->name : ""));
  }
  if (!subtype.empty()) a["subtype"] = std::move(subtype);
  const std::string action = ActionCode(e);
  if (action == "C" || action == "R" || action == "U" || action == "D" || action == "E") a["action"] = action;
  a["recorded"] = IsoTime(e.time_ms());
  const int outcome = e.outcome();
  a["outcome"] = outcome == 0 || outcome == 4 || outcome == 8 ? std::to_string(outcome) : "12";
  std::string why =
      e.error_code().empty() || e.detail().empty() ? e.error_code() + e.detail() : e.error_code() + ": " + e.detail();
  if (!why.empty()) a["outcomeDesc"] = why;
  OrderedJson purpose = PurposeOfUse(e);
  if (!purpose.empty()) a["purposeOfEvent"] = purpose;

  OrderedJson agents = OrderedJson::array();
  const bool has_user = !e.user_id().empty() || !e.user_name().empty();
  // The person (XUA): BALP's user agent; the requestor.
  if (has_user) {
    OrderedJson user;
    OrderedJson types = OrderedJson::array();
    if (word == "query" || word == "retrieve") {
      types.push_back(Coding(kParticipationType, "IRCP", "information recipient"));
    } else {
      types.push_back(Coding(kRoleClass, "AGNT", "agent"));
    }
    if (!e.assertion_id().empty()) types.push_back(Coding(kBalpUserAgent, "UserSamlAgent"));
    user["type"] = {{"coding", std::move(types)}};
    if (!e.role().empty()) {
      OrderedJson role = {{"text", e.role()}};
      if (IsAllDigits(e.role())) role["coding"] = OrderedJson::array({Coding("http://snomed.info/sct", e.role())});
      user["role"] = OrderedJson::array({std::move(role)});
    }
    OrderedJson id = {{"value", e.user_id().empty() ? e.user_name() : e.user_id()}};
    if (!e.assertion_issuer().empty()) id = {{"system", e.assertion_issuer()}, {"value", id["value"]}};
    user["who"] = {{"identifier", std::move(id)}};
    if (!e.user_name().empty()) user["name"] = e.user_name();
    user["requestor"] = true;
    if (!e.assertion_id().empty()) user["policy"] = OrderedJson::array({e.assertion_id()});
    if (!purpose.empty()) user["purposeOfUse"] = purpose;
    agents.push_back(std::move(user));
  }
  if (!e.user_organization().empty() || !e.user_organization_id().empty()) {
    OrderedJson who;
    if (!e.user_organization_id().empty()) who["identifier"] = {{"value", e.user_organization_id()}};
    if (!e.user_organization().empty()) who["display"] = e.user_organization();
    agents.push_back({{"type", Concept(Coding(kRoleClass, "PROV", "healthcare provider"))},
                      {"who", std::move(who)},
                      {"requestor", false}});
  }
  // The node that asked (verified certificate): DICOM's Source Role ID.
  {
    OrderedJson node;
    node["type"] = Concept(Coding(kDicom, "110153", "Source Role ID"));
    OrderedJson who;
    if (!e.organization_id().empty()) who["identifier"] = {{"value", e.organization_id()}};
    if (!e.node_subject().empty()) who["display"] = e.node_subject();
    if (who.empty()) who["display"] = e.peer().empty() ? "unknown" : e.peer();
    node["who"] = std::move(who);
    node["requestor"] = !has_user;
    const std::string host = PeerHost(e.peer());
    if (!host.empty()) node["network"] = {{"address", host}, {"type", LooksLikeIp(host) ? "2" : "1"}};
    agents.push_back(std::move(node));
  }
  // The service that answered: Destination Role ID.
  if (!e.service().empty() || !e.endpoint().empty()) {
    OrderedJson who;
    if (!e.endpoint().empty()) who["identifier"] = {{"system", kRfc3986}, {"value", e.endpoint()}};
    if (!e.service().empty()) who["display"] = e.service();
    agents.push_back({{"type", Concept(Coding(kDicom, "110152", "Destination Role ID"))},
                      {"who", std::move(who)},
                      {"requestor", false}});
  }
  if (!e.home_community_id().empty()) {
    agents.push_back({{"type", Concept(Coding("urn:ihe:iti:xca:2010", "homeCommunityId", "IHE homeCommunityId"))},
                      {"who", {{"identifier", {{"value", e.home_community_id()}}}}},
                      {"requestor", false}});
  }
  a["agent"] = std::move(agents);

  // source: who recorded it (a forwarded event names its origin node).
  OrderedJson observer = {{"display", e.service().empty() ? "xds" : e.service()}};
  if (!e.origin().empty()) observer["identifier"] = {{"value", e.origin()}};
  OrderedJson source;
  if (!e.endpoint().empty()) source["site"] = e.endpoint();
  source["observer"] = std::move(observer);
  source["type"] = OrderedJson::array({Coding(kSourceType, "4", "Application Server")});
  a["source"] = std::move(source);

  OrderedJson entities = OrderedJson::array();
  // FHIR JSON admits no empty strings: ids the service left empty are left out.
  for (const auto& pid : e.patient_ids()) {
    if (pid.empty()) continue;
    entities.push_back({{"what", {{"type", "Patient"}, {"identifier", PatientIdentifier(pid)}, {"display", pid}}},
                        {"type", Coding(kEntityType, "1", "Person")},
                        {"role", Coding(kObjectRole, "1", "Patient")}});
  }
  for (int i = 0; i < e.document_unique_ids_size(); ++i) {
    if (e.document_unique_ids(i).empty()) continue;
    OrderedJson doc = {
        {"what", {{"type", "DocumentReference"}, {"identifier", UriIdentifier(e.document_unique_ids(i))}}},
        {"type", Coding(kEntityType, "2", "System Object")},
        {"role", Coding(kObjectRole, "3", "Report")}};
    OrderedJson detail = OrderedJson::array();
    // Same order as the documents when the service knew them.
    if (i < e.repository_unique_ids_size() && !e.repository_unique_ids(i).empty()) {
      detail.push_back({{"type", "Repository Unique Id"}, {"valueString", e.repository_unique_ids(i)}});
    }
    if (!e.home_community_id().empty()) {
      detail.push_back({{"type", "ihe:homeCommunityID"}, {"valueString", e.home_community_id()}});
    }
    if (i < e.class_codes_size() && !e.class_codes(i).empty()) {
      detail.push_back({{"type", "classCode"}, {"valueString", e.class_codes(i)}});
    }
    if (!detail.empty()) doc["detail"] = std::move(detail);
    entities.push_back(std::move(doc));
  }
  if (!e.submission_set_unique_id().empty()) {
    entities.push_back({{"what", {{"type", "List"}, {"identifier", UriIdentifier(e.submission_set_unique_id())}}},
                        {"type", Coding(kEntityType, "2", "System Object")},
                        {"role", Coding(kObjectRole, "20", "Job")},
                        {"description", "XDS SubmissionSet"}});
  }
  if (e.has_query()) {
    // BALP: the query as asked, base64, with no .what; the stored query id readable.
    entities.push_back({{"type", Coding(kEntityType, "2", "System Object")},
                        {"role", Coding(kObjectRole, "24", "Query")},
                        {"description", "stored query " + e.query().query_id()},
                        {"query", EncodeBase64(QueryXml(e.query()))}});
  }
  if (!entities.empty()) a["entity"] = std::move(entities);
  return a;
}

OrderedJson AuditLogFhir(const AuditLogResponse& r) {
  OrderedJson entries = OrderedJson::array();
  for (const auto& e : r.events()) entries.push_back({{"resource", AuditEventFhir(e)}});
  return {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", std::move(entries)}};
}

std::string AuditLogTable(const AuditLogResponse& r) {
  Table t(
      {"TIME", "ACTION", "TRANSACTION", "OUTCOME", "ORGANIZATION", "USER", "ROLE", "PURPOSE", "DOCUMENTS", "PATIENT"});
  for (const auto& e : r.events()) {
    std::string outcome = OutcomeWord(e.outcome());
    if (!e.error_code().empty()) outcome += " " + e.error_code();
    std::string purpose = e.purpose_of_use();
    if (e.emergency()) purpose += purpose.empty() ? "BREAK-THE-GLASS" : " BREAK-THE-GLASS";
    std::string user = e.user_id().empty() ? e.user_name() : e.user_id();
    t.AddRow({IsoTime(e.time_ms()), ActionWord(e), e.transaction(), outcome, e.organization_id(), user, e.role(),
              purpose, absl::StrJoin(e.document_unique_ids(), ","), absl::StrJoin(e.patient_ids(), ",")});
  }
  return t.Render() + std::to_string(r.events_size()) + (r.events_size() == 1 ? " event" : " events") +
         (r.truncated() ? " (more matched: narrow --from/--to or raise --limit)\n" : "\n");
}

OrderedJson VerifyJson(const VerifyAuditResponse& r) {
  return {{"intact", r.intact()},
          {"events", r.events()},
          {"firstSeq", r.first_seq()},
          {"lastSeq", r.last_seq()},
          {"problem", r.problem()}};
}

std::string DumpJson(const OrderedJson& j) {
  return j.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

}  // namespace xds::ctl
