#include "registry/iti44/iti44_feed.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/xml_util.h"

namespace xds::iti44 {
namespace {

constexpr char kHl7Ns[] = "urn:hl7-org:v3";
constexpr char kInteractionIdRoot[] = "2.16.840.1.113883.1.6";
constexpr char kErrorCodeSystem[] = "2.16.840.1.113883.12.357";  // HL7 table 0357

using ebrim::xml::Attr;
using ebrim::xml::Child;
using ebrim::xml::Children;

// The first element of a path of HL7 v3 children; empty when any step is absent.
pugi::xml_node Path(pugi::xml_node node, std::initializer_list<std::string_view> steps) {
  for (std::string_view step : steps) {
    if (!node) break;
    node = Child(node, kHl7Ns, step);
  }
  return node;
}

std::vector<FeedIdentifier> Identifiers(const pugi::xml_node& owner) {
  std::vector<FeedIdentifier> ids;
  for (const pugi::xml_node& id : Children(owner, kHl7Ns, "id")) {
    // II: root = the assigning authority's OID, extension = the id within it.
    ids.push_back({Attr(id, "extension"), Attr(id, "root"), "ISO"});
  }
  return ids;
}

std::string NewUuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  uint64_t a = random(), b = random();
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                (static_cast<unsigned>(b >> 48) & 0x3fff) | 0x8000,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

struct Ack {
  std::string type_code;  // AA, AE, AR
  std::string detail_code;
  std::string text;
};

// MCCI_IN000002UV01: the acknowledgement of `message` (its id as targetMessage), from the
// registry (sender) to the message's sender device (receiver).
void AppendAcknowledgement(pugi::xml_node parent, const pugi::xml_node& message, const std::string& registry_oid,
                           const Ack& ack) {
  pugi::xml_node m = parent.append_child("MCCI_IN000002UV01");
  m.append_attribute("xmlns") = kHl7Ns;
  m.append_attribute("ITSVersion") = "XML_1.0";
  pugi::xml_node id = m.append_child("id");
  id.append_attribute("root") = NewUuid().c_str();
  m.append_child("creationTime").append_attribute("value") = CurrentDtm().c_str();
  pugi::xml_node interaction = m.append_child("interactionId");
  interaction.append_attribute("root") = kInteractionIdRoot;
  interaction.append_attribute("extension") = "MCCI_IN000002UV01";
  std::string processing = Attr(Child(message, kHl7Ns, "processingCode"), "code");
  m.append_child("processingCode").append_attribute("code") = processing.empty() ? "P" : processing.c_str();
  m.append_child("processingModeCode").append_attribute("code") = "T";
  m.append_child("acceptAckCode").append_attribute("code") = "NE";
  auto device = [&](const char* element, const char* type_code, const pugi::xml_node& copy_id,
                    const std::string& root) {
    pugi::xml_node party = m.append_child(element);
    party.append_attribute("typeCode") = type_code;
    pugi::xml_node d = party.append_child("device");
    d.append_attribute("classCode") = "DEV";
    d.append_attribute("determinerCode") = "INSTANCE";
    pugi::xml_node device_id = d.append_child("id");
    if (copy_id && !Attr(copy_id, "root").empty()) {
      device_id.append_attribute("root") = Attr(copy_id, "root").c_str();
      if (!Attr(copy_id, "extension").empty())
        device_id.append_attribute("extension") = Attr(copy_id, "extension").c_str();
    } else if (!root.empty()) {
      device_id.append_attribute("root") = root.c_str();
    } else {
      device_id.append_attribute("nullFlavor") = "UNK";
    }
  };
  device("receiver", "RCV", Path(message, {"sender", "device", "id"}), "");
  device("sender", "SND", pugi::xml_node(), registry_oid);
  pugi::xml_node acknowledgement = m.append_child("acknowledgement");
  acknowledgement.append_child("typeCode").append_attribute("code") = ack.type_code.c_str();
  pugi::xml_node target = acknowledgement.append_child("targetMessage").append_child("id");
  pugi::xml_node message_id = Child(message, kHl7Ns, "id");
  if (message_id && !Attr(message_id, "root").empty()) {
    target.append_attribute("root") = Attr(message_id, "root").c_str();
    if (!Attr(message_id, "extension").empty())
      target.append_attribute("extension") = Attr(message_id, "extension").c_str();
  } else {
    target.append_attribute("nullFlavor") = "UNK";
  }
  if (!ack.text.empty()) {
    pugi::xml_node detail = acknowledgement.append_child("acknowledgementDetail");
    detail.append_attribute("typeCode") = "E";
    if (!ack.detail_code.empty()) {
      pugi::xml_node code = detail.append_child("code");
      code.append_attribute("code") = ack.detail_code.c_str();
      code.append_attribute("codeSystem") = kErrorCodeSystem;
    }
    detail.append_child("text").text() = ack.text.c_str();
  }
}

}  // namespace

bool IsFeedAction(std::string_view action) {
  return action == kActionAdd || action == kActionRevise || action == kActionMerge;
}

http::Response HandleFeed(Registry& registry, const CallContext& context_in, const soap::Request& request) {
  CallContext context = context_in;
  const pugi::xml_node& body = request.body_element;
  const std::string interaction(request.action.substr(request.action.rfind(':') + 1));
  std::string registry_oid = registry.options().home_community_id;
  if (absl::StartsWith(registry_oid, "urn:oid:")) registry_oid.erase(0, 8);
  if (registry_oid.empty()) registry_oid = registry.options().patient_authority;
  soap::ResponseEnvelope envelope(kActionAcknowledgement, request.message_id);
  auto answer = [&](const Ack& ack) {
    AppendAcknowledgement(envelope.body(), body, registry_oid, ack);
    return soap::MakeResponse(envelope, kActionAcknowledgement, request.mtom);
  };

  if (ebrim::xml::LocalName(body) != interaction || ebrim::xml::NamespaceOf(body) != kHl7Ns) {
    std::string text = absl::StrCat("the action ", request.action, " expects an hl7:", interaction, " body");
    registry.RecordEdgeRefusal(context, "ITI-44", "HL7 AR", text);
    return answer({"AR", "", text});
  }
  pugi::xml_node event = Path(body, {"controlActProcess", "subject", "registrationEvent"});
  pugi::xml_node patient = Path(event, {"subject1", "patient"});
  PatientFeedRequest feed;
  feed.kind = request.action == kActionAdd      ? PatientFeedRequest::Kind::kAdd
              : request.action == kActionRevise ? PatientFeedRequest::Kind::kUpdate
                                                : PatientFeedRequest::Kind::kMerge;
  feed.patient_ids = Identifiers(patient);
  if (feed.kind == PatientFeedRequest::Kind::kMerge) {
    feed.prior_ids =
        Identifiers(Path(event, {"replacementOf", "priorRegistration", "subject1", "priorRegisteredRole"}));
  }
  pugi::xml_node message_id = Child(body, kHl7Ns, "id");
  context.message_id = absl::StrCat(Attr(message_id, "root"), Attr(message_id, "extension").empty() ? "" : "^",
                                    Attr(message_id, "extension"));

  absl::StatusOr<PatientFeedResult> result = registry.PatientFeed(context, "ITI-44", feed);
  if (!result.ok()) return soap::RefusalFault(result.status(), request.message_id);
  if (result->refusal != PatientFeedResult::Refusal::kNone) return answer({"AE", "204", result->refusal_text});
  return answer({"AA", "", ""});
}

}  // namespace xds::iti44
