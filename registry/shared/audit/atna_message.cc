#include "registry/shared/audit/atna_message.h"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <pugixml.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/mime/base64.h"

namespace xds::audit {
namespace {

// A coded value as DICOM A.5.1 writes it: csd-code, codeSystemName and originalText (the
// schema requires all three).
struct Code {
  std::string_view code;
  std::string_view system;
  std::string_view text;
};

// DICOM PS3.16 CID 400 (Audit Event ID).
constexpr Code kApplicationActivity{"110100", "DCM", "Application Activity"};
constexpr Code kAuditLogUsed{"110101", "DCM", "Audit Log Used"};
constexpr Code kExport{"110106", "DCM", "Export"};
constexpr Code kImport{"110107", "DCM", "Import"};
constexpr Code kPatientRecord{"110110", "DCM", "Patient Record"};
constexpr Code kQuery{"110112", "DCM", "Query"};
constexpr Code kSecurityAlert{"110113", "DCM", "Security Alert"};
constexpr Code kUserAuthentication{"110114", "DCM", "User Authentication"};
// CID 403 (Security Alert Type) and CID 401's User Authentication types.
constexpr Code kNodeAuthentication{"110126", "DCM", "Node Authentication"};
constexpr Code kLogin{"110122", "DCM", "Login"};
// CID 402 (Audit Active Participant Role ID).
constexpr Code kSourceRole{"110153", "DCM", "Source Role ID"};
constexpr Code kDestinationRole{"110152", "DCM", "Destination Role ID"};
// RFC 3881 participant object id types, and the XDS submission set classification node.
constexpr Code kPatientNumber{"2", "RFC-3881", "Patient Number"};
constexpr Code kReportNumber{"9", "RFC-3881", "Report Number"};
constexpr Code kUri{"12", "RFC-3881", "URI"};
constexpr Code kSubmissionSetNode{"urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd", "IHE XDS Metadata",
                                  "submission set classificationNode"};
// Codes this project defines for what DICOM and IHE have no code for: "99" starts a private
// coding scheme designator (PS3.3 8.2).
constexpr std::string_view kLocalScheme = "99XDS";
constexpr Code kOrganizationId{"organization-id", kLocalScheme, "Organization Identifier"};
// XUA purpose of use codes (the NHIN purpose of use vocabulary the XUA examples use).
constexpr std::string_view kPurposeOfUseScheme = "2.16.840.1.113883.3.18.7.1";

// IHE transactions (EventTypeCode, and ITI-18's query object id type).
constexpr std::string_view kIheTransactions = "IHE Transactions";
struct Transaction {
  std::string_view id;
  std::string_view name;
};
constexpr Transaction kTransactions[] = {
    {"ITI-8", "Patient Identity Feed"},
    {"ITI-18", "Registry Stored Query"},
    {"ITI-41", "Provide and Register Document Set-b"},
    {"ITI-42", "Register Document Set-b"},
    {"ITI-43", "Retrieve Document Set"},
    {"ITI-44", "Patient Identity Feed HL7 V3"},
    {"ITI-57", "Update Document Set"},
    {"ITI-62", "Delete Document Set"},
    {"ITI-86", "Remove Documents"},
};

const Transaction* FindTransaction(std::string_view id) {
  for (const Transaction& t : kTransactions) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

// What kind of message an event becomes; decides the active participants and objects.
enum class Shape {
  kRequest,             // a requester asked this service (Source = requester, Destination = us)
  kRetrieve,            // ITI-43: this service sends documents (Source = us, Destination = requester)
  kSecurityAlert,       // a refused TLS handshake
  kUserAuthentication,  // a refused XUA assertion
};

struct Plan {
  Code event_id;
  std::string action;
  Shape shape = Shape::kRequest;
  std::vector<Code> type_codes;
};

bool IsAction(const std::string& a) { return a == "C" || a == "R" || a == "U" || a == "D" || a == "E"; }

// An XUA refusal: the gate's WS-Security fault codes, or a reason about the assertion.
bool IsAssertionRefusal(const AuditEvent& e) {
  return absl::StartsWith(e.error_code(), "wsse:") || absl::StrContains(absl::AsciiStrToLower(e.detail()), "assertion");
}

Plan PlanFor(const AuditEvent& e) {
  Plan plan;
  const std::string& t = e.transaction();
  const Transaction* iti = FindTransaction(t);
  const Code transaction_code = iti != nullptr ? Code{iti->id, kIheTransactions, iti->name} : Code{t, kLocalScheme, t};
  auto action_or = [&](const char* fallback) { return IsAction(e.action()) ? e.action() : std::string(fallback); };

  if (t == "TLS") {
    // DICOM A.5.3.11: a node authentication failure while establishing a secure channel.
    plan.event_id = kSecurityAlert;
    plan.action = "E";
    plan.shape = Shape::kSecurityAlert;
    plan.type_codes = {kNodeAuthentication};
    return plan;
  }
  if (e.outcome() != 0 && IsAssertionRefusal(e)) {
    // The assertion is the user's authentication at this service, so a refused one is a
    // failed User Authentication (DICOM A.5.3.12, type Login) rather than a Security Alert:
    // CID 403's alert types name node, configuration and override events, none of them a
    // rejected user credential. The transaction that was refused stays as a second type.
    plan.event_id = kUserAuthentication;
    plan.action = "E";
    plan.shape = Shape::kUserAuthentication;
    plan.type_codes = {kLogin};
    if (!t.empty()) plan.type_codes.push_back(transaction_code);
    return plan;
  }
  if (!t.empty()) plan.type_codes = {transaction_code};
  // The IHE transactions: ITI TF-2 fixes EventID and EventActionCode.
  if (t == "ITI-18") {
    plan.event_id = kQuery;
    plan.action = "E";
  } else if (t == "ITI-41" || t == "ITI-42") {
    plan.event_id = kImport;
    plan.action = "C";
  } else if (t == "ITI-43") {
    plan.event_id = kExport;
    plan.action = "R";
    plan.shape = Shape::kRetrieve;
  } else if (t == "ITI-8" || t == "ITI-44") {
    plan.event_id = kPatientRecord;
    plan.action = action_or("C");
  } else if (t == "ITI-57") {
    plan.event_id = kPatientRecord;
    plan.action = "U";
  } else if (t == "ITI-62" || t == "ITI-86") {
    plan.event_id = kPatientRecord;
    plan.action = "D";
    // The administration verbs: the nearest DICOM event.
  } else if (t == "AddPatient") {
    plan.event_id = kPatientRecord;
    plan.action = "C";
  } else if (absl::StartsWith(t, "Consent")) {
    // A consent is part of the patient's record: granted and revoked rules change it.
    plan.event_id = kPatientRecord;
    plan.action = action_or(absl::EndsWith(t, "List") ? "R" : "U");
  } else if (t == "ListPatients" || t == "Stats") {
    plan.event_id = kQuery;
    plan.action = "E";
  } else if (t == "AuditLog" || t == "AuditVerify") {
    plan.event_id = kAuditLogUsed;
    plan.action = "R";
  } else if (t == "Backup") {
    // The whole store copied out of the service (DICOM A.5.3.4 Data Export).
    plan.event_id = kExport;
    plan.action = "R";
  } else {
    plan.event_id = kApplicationActivity;
    plan.action = action_or("E");
  }
  return plan;
}

// XML 1.0 admits neither the C0 controls other than TAB, LF, CR nor malformed UTF-8, and a
// character reference does not make them legal: each such byte or sequence becomes U+FFFD,
// so a hostile value can neither break the document nor make a receiver reject it.
std::string XmlText(std::string_view in) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        out += kReplacement;
      } else if (c == 0x7F) {
        out += kReplacement;
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    }
    bool valid = length != 0 && i + length <= in.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(in[i + k]);
      valid = (continuation & 0xC0) == 0x80;
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    // Overlong forms, surrogates, beyond U+10FFFF and the non-characters U+FFFE/U+FFFF.
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (code_point < kMinimum[length] || (code_point >= 0xD800 && code_point <= 0xDFFF) ||
                  code_point > 0x10FFFF || code_point == 0xFFFE || code_point == 0xFFFF)) {
      valid = false;
    }
    if (valid) {
      out.append(in.substr(i, length));
      i += length;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

void SetAttr(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(XmlText(value).c_str());
}

pugi::xml_node AddCode(pugi::xml_node parent, const char* name, const Code& code) {
  pugi::xml_node node = parent.append_child(name);
  SetAttr(node, "csd-code", code.code);
  SetAttr(node, "codeSystemName", code.system);
  SetAttr(node, "originalText", code.text);
  return node;
}

// "code^^scheme" (as the event keeps coded values) or a bare code of the local scheme.
Code SplitCode(std::string_view value) {
  const size_t caret = value.find("^^");
  if (caret == std::string_view::npos) return {value, kLocalScheme, value};
  return {value.substr(0, caret), value.substr(caret + 2), value.substr(0, caret)};
}

// The host of "ip:port", "[v6]:port", gRPC's "ipv4:ip:port" / "ipv6:[v6]:port", or a bare
// address.
std::string PeerHost(std::string_view peer) {
  for (std::string_view prefix : {"ipv4:", "ipv6:"}) {
    if (peer.substr(0, prefix.size()) == prefix) peer.remove_prefix(prefix.size());
  }
  if (!peer.empty() && peer.front() == '[') {
    const size_t close = peer.find(']');
    return std::string(peer.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  const size_t colon = peer.find(':');
  if (colon != std::string_view::npos && peer.find(':', colon + 1) == std::string_view::npos) {
    return std::string(peer.substr(0, colon));
  }
  return std::string(peer);
}

// NetworkAccessPointTypeCode: 2 for an IP address, 1 for a machine name.
void SetNetworkAccessPoint(pugi::xml_node participant, const std::string& host) {
  if (host.empty()) return;
  boost::system::error_code error;
  boost::asio::ip::make_address(host, error);
  SetAttr(participant, "NetworkAccessPointTypeCode", error ? "1" : "2");
  SetAttr(participant, "NetworkAccessPointID", host);
}

std::string ProcessId(const AuditSource& source) {
  return source.process_id.empty() ? std::to_string(getpid()) : source.process_id;
}

pugi::xml_node AddParticipant(pugi::xml_node message, std::string_view user_id) {
  pugi::xml_node participant = message.append_child("ActiveParticipant");
  SetAttr(participant, "UserID", user_id.empty() ? std::string_view("unknown") : user_id);
  return participant;
}

void FinishParticipant(pugi::xml_node participant, bool requestor) {
  // Attribute order does not matter to the schema; UserIsRequestor is required.
  participant.append_attribute("UserIsRequestor").set_value(requestor ? "true" : "false");
}

// The node that sent the request: its certificate subject when TLS verified one (the TF
// names the wsa:ReplyTo, which the trail does not keep and which is usually anonymous),
// else its address.
void AddRequester(pugi::xml_node message, const AuditEvent& e, const Code* role, bool requestor) {
  const std::string host = PeerHost(e.peer());
  pugi::xml_node p = AddParticipant(message, !e.node_subject().empty() ? e.node_subject() : host);
  FinishParticipant(p, requestor);
  SetNetworkAccessPoint(p, host);
  if (role != nullptr) AddCode(p, "RoleIDCode", *role);
}

// This service: its SOAP endpoint and process id (ITI TF-2's Destination/Source rows).
void AddService(pugi::xml_node message, const AuditEvent& e, const AuditSource& source, const Code* role,
                bool requestor) {
  pugi::xml_node p = AddParticipant(message, !e.endpoint().empty() ? e.endpoint() : source.endpoint);
  SetAttr(p, "AlternativeUserID", ProcessId(source));
  FinishParticipant(p, requestor);
  SetNetworkAccessPoint(p, source.host);
  if (role != nullptr) AddCode(p, "RoleIDCode", *role);
}

bool HasHuman(const AuditEvent& e) { return !e.user_id().empty() || !e.user_name().empty(); }

// The person the XUA assertion names (ITI TF-2's Human Requestor, "if known").
void AddHuman(pugi::xml_node message, const AuditEvent& e) {
  if (!HasHuman(e)) return;
  pugi::xml_node p = AddParticipant(message, !e.user_id().empty() ? e.user_id() : e.user_name());
  if (!e.user_name().empty() && e.user_name() != e.user_id()) SetAttr(p, "UserName", e.user_name());
  FinishParticipant(p, true);
  if (!e.role().empty()) AddCode(p, "RoleIDCode", SplitCode(e.role()));
}

pugi::xml_node AddObject(pugi::xml_node message, std::string_view id, const char* type_code, const char* role,
                         const Code& id_type) {
  pugi::xml_node o = message.append_child("ParticipantObjectIdentification");
  SetAttr(o, "ParticipantObjectID", id);
  SetAttr(o, "ParticipantObjectTypeCode", type_code);
  if (role != nullptr) SetAttr(o, "ParticipantObjectTypeCodeRole", role);
  AddCode(o, "ParticipantObjectIDTypeCode", id_type);
  return o;
}

// The schema of xds-schemas/dicom requires a name or a query on every object; where the
// event knows no name, the identifier is the name.
void AddName(pugi::xml_node object, std::string_view name) {
  object.append_child("ParticipantObjectName").text().set(XmlText(name).c_str());
}

// A ParticipantObjectDetail: the value is base64 of the raw octets, as A.5.1 asks, so any
// content passes unchanged.
void AddDetail(pugi::xml_node object, std::string_view type, std::string_view value) {
  pugi::xml_node d = object.append_child("ParticipantObjectDetail");
  SetAttr(d, "type", type);
  SetAttr(d, "value", EncodeBase64(value));
}

void AddPatients(pugi::xml_node message, const AuditEvent& e) {
  for (const std::string& patient : e.patient_ids()) {
    pugi::xml_node o = AddObject(message, patient, "1", "1", kPatientNumber);
    AddName(o, patient);
  }
}

// The organisation on whose behalf the request was made (the XUA subject:organization and
// organization-id, else the node's certificate): DICOM has no attribute for it on the
// participant, so it is an Organization object in the Provider role.
void AddOrganization(pugi::xml_node message, const AuditEvent& e) {
  const std::string& id = !e.user_organization_id().empty() ? e.user_organization_id() : e.organization_id();
  if (id.empty()) return;
  pugi::xml_node o = AddObject(message, id, "3", "15", kOrganizationId);
  AddName(o, !e.user_organization().empty() ? e.user_organization() : id);
}

std::string HomeCommunity(const AuditEvent& e) {
  return !e.home_community_id().empty() ? e.home_community_id() : e.query().home();
}

// ITI TF-2 3.18.5.1.2's Query Parameters object: the AdhocQueryRequest as asked, base64.
void AddQuery(pugi::xml_node message, const AuditEvent& e) {
  if (e.query().query_id().empty()) return;
  pugi::xml_document request;
  ebrim::AppendAdhocQueryRequest(request, e.query());
  std::ostringstream xml;
  request.save(xml, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  pugi::xml_node o =
      AddObject(message, e.query().query_id(), "2", "24", Code{"ITI-18", kIheTransactions, "Registry Stored Query"});
  o.append_child("ParticipantObjectQuery").text().set(EncodeBase64(xml.str()).c_str());
  AddDetail(o, "QueryEncoding", "UTF-8");
  const std::string home = HomeCommunity(e);
  if (!home.empty()) AddDetail(o, "urn:ihe:iti:xca:2010:homeCommunityId", home);
}

void AddSubmissionSet(pugi::xml_node message, const AuditEvent& e) {
  if (e.submission_set_unique_id().empty()) return;
  pugi::xml_node o = AddObject(message, e.submission_set_unique_id(), "2", "20", kSubmissionSetNode);
  AddName(o, e.submission_set_unique_id());
}

// ITI TF-2 3.43.5.1.3's Document objects, one per document retrieved.
void AddDocuments(pugi::xml_node message, const AuditEvent& e) {
  const std::string home = HomeCommunity(e);
  for (int i = 0; i < e.document_unique_ids_size(); ++i) {
    const std::string& id = e.document_unique_ids(i);
    pugi::xml_node o = AddObject(message, id, "2", "3", kReportNumber);
    AddName(o, id);
    // Repository ids come in document order; one id alone holds for every document.
    std::string repository;
    if (i < e.repository_unique_ids_size()) {
      repository = e.repository_unique_ids(i);
    } else if (e.repository_unique_ids_size() == 1) {
      repository = e.repository_unique_ids(0);
    }
    if (!repository.empty()) AddDetail(o, "Repository Unique Id", repository);
    if (!home.empty()) AddDetail(o, "ihe:homeCommunityID", home);
  }
}

int Outcome(int32_t outcome) {
  switch (outcome) {
    case 0:
    case 4:
    case 8:
    case 12:
      return outcome;
    default:
      return 8;  // the four DICOM values only; anything else was a failure
  }
}

}  // namespace

std::string ToAuditMessage(const AuditEvent& e, const AuditSource& source) {
  const Plan plan = PlanFor(e);
  pugi::xml_document doc;
  pugi::xml_node message = doc.append_child("AuditMessage");

  pugi::xml_node event = message.append_child("EventIdentification");
  SetAttr(event, "EventActionCode", plan.action);
  SetAttr(event, "EventDateTime",
          absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(e.time_ms()), absl::UTCTimeZone()));
  const int outcome = Outcome(e.outcome());
  SetAttr(event, "EventOutcomeIndicator", std::to_string(outcome));
  AddCode(event, "EventID", plan.event_id);
  for (const Code& type : plan.type_codes) AddCode(event, "EventTypeCode", type);
  if (outcome != 0 && (!e.error_code().empty() || !e.detail().empty())) {
    std::string description = e.error_code();
    if (!e.detail().empty()) absl::StrAppend(&description, description.empty() ? "" : ": ", e.detail());
    event.append_child("EventOutcomeDescription").text().set(XmlText(description).c_str());
  }
  if (source.purpose_of_use_element) {
    if (!e.purpose_of_use().empty()) {
      AddCode(event, "PurposeOfUse", Code{e.purpose_of_use(), kPurposeOfUseScheme, e.purpose_of_use()});
    }
    if (e.emergency() && e.purpose_of_use() != "EMERGENCY") {
      AddCode(event, "PurposeOfUse", Code{"EMERGENCY", kPurposeOfUseScheme, "EMERGENCY"});
    }
  }

  // One requestor per message (A.5.2): the person when the assertion names one.
  const bool human = HasHuman(e);
  switch (plan.shape) {
    case Shape::kRequest:
      AddRequester(message, e, &kSourceRole, !human);
      AddHuman(message, e);
      AddService(message, e, source, &kDestinationRole, false);
      break;
    case Shape::kRetrieve:
      AddService(message, e, source, &kSourceRole, false);
      AddRequester(message, e, &kDestinationRole, !human);
      AddHuman(message, e);
      break;
    case Shape::kSecurityAlert:
      // The reporting process (this service) and the node that failed to authenticate.
      AddService(message, e, source, nullptr, false);
      AddRequester(message, e, nullptr, true);
      break;
    case Shape::kUserAuthentication:
      AddRequester(message, e, nullptr, !human);
      AddHuman(message, e);
      AddService(message, e, source, nullptr, false);
      break;
  }

  pugi::xml_node audit_source = message.append_child("AuditSourceIdentification");
  if (!source.enterprise_site_id.empty()) SetAttr(audit_source, "AuditEnterpriseSiteID", source.enterprise_site_id);
  const std::string& source_id = !source.source_id.empty() ? source.source_id : e.service();
  SetAttr(audit_source, "AuditSourceID", source_id.empty() ? std::string_view("xds") : source_id);
  // 4: application server process.
  SetAttr(audit_source.append_child("AuditSourceTypeCode"), "csd-code", "4");

  if (plan.shape == Shape::kSecurityAlert) {
    // The alert subject: the peer that failed to authenticate, and why.
    const std::string host = PeerHost(e.peer());
    if (!host.empty() || !e.node_subject().empty()) {
      pugi::xml_node o = AddObject(message, !e.peer().empty() ? e.peer() : e.node_subject(), "2", nullptr, kUri);
      AddName(o, !e.node_subject().empty() ? e.node_subject() : host);
      if (!e.detail().empty()) AddDetail(o, "Alert Description", e.detail());
    }
  } else {
    AddPatients(message, e);
    if (e.transaction() == "ITI-18") AddQuery(message, e);
    if (e.transaction() == "ITI-41" || e.transaction() == "ITI-42") AddSubmissionSet(message, e);
    if (e.transaction() == "ITI-43") AddDocuments(message, e);
    AddOrganization(message, e);
  }

  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

namespace {

// An RFC 5424 header field: PRINTUSASCII (33..126) only, at most `max` octets, "-" when empty.
std::string HeaderField(std::string_view value, size_t max) {
  std::string out;
  for (char c : value) {
    if (out.size() == max) break;
    if (c >= 33 && c <= 126) out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string SyslogMessage(const AuditEvent& e, const AuditSource& source, std::string_view xml) {
  const std::string& app = !source.app_name.empty() ? source.app_name : e.service();
  // TIMESTAMP is the event's time: the time the sender writes it would differ on every
  // retry of a spooled event.
  return absl::StrCat(
      "<85>1 ", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(e.time_ms()), absl::UTCTimeZone()), " ",
      HeaderField(source.host, 255), " ", HeaderField(app, 48), " ", HeaderField(ProcessId(source), 128),
      " IHE+RFC-3881 - ", absl::string_view(xml.data(), xml.size()));
}

std::string OctetCounted(std::string_view message) {
  std::string framed = absl::StrCat(message.size(), " ");
  framed.append(message);
  return framed;
}

}  // namespace xds::audit
