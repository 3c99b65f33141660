#include "registry/iti8/iti8_feed.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace xds::iti8 {
namespace {

using hl7v2::AckError;

// MSH-10 of a message the parser refused, when its header is readable that far.
std::string SalvageControlId(std::string_view message) {
  if (message.size() < 4 || message.substr(0, 3) != "MSH") return "";
  const char separator = message[3];
  std::string_view header = message.substr(0, message.find_first_of("\r\n"));
  size_t at = 0;
  for (int field = 1; field < 10; ++field) {  // MSH-1 is the separator itself: MSH-10 is the 9th after it
    at = header.find(separator, at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  std::string_view id = header.substr(at, header.find(separator, at) - at);
  return std::string(id.substr(0, 199));
}

std::vector<FeedIdentifier> Identifiers(const hl7v2::Message& m, std::string_view field) {
  std::vector<FeedIdentifier> ids;
  const size_t n = m.Repetitions(field).size();
  for (size_t rep = 0; rep < n; ++rep) {
    // CX: ID ^ check digit ^ scheme ^ assigning authority (HD: namespace & universal id & type)
    ids.push_back({m.Value(field, rep, 1), m.Value(field, rep, 4, 2), m.Value(field, rep, 4, 3)});
  }
  return ids;
}

}  // namespace

std::string HandleMessage(Registry& registry, CallContext context, std::string_view message,
                          const hl7v2::Limits& limits) {
  const std::string now = CurrentDtm();
  auto refuse = [&](const hl7v2::Message* parsed, const char* ack_code, AckError error) {
    registry.RecordEdgeRefusal(context, "ITI-8", absl::StrCat("HL7 ", ack_code, " ", error.code), error.text);
    return hl7v2::MakeAck(parsed, ack_code, error, kReceivingApplication, now, SalvageControlId(message));
  };

  absl::StatusOr<hl7v2::Message> parsed = hl7v2::Parse(message, limits);
  if (!parsed.ok()) {
    return refuse(nullptr, hl7v2::kReject, {hl7v2::kErrDataType, std::string(parsed.status().message()), "MSH", 0});
  }
  const hl7v2::Message& m = *parsed;
  context.message_id = m.ControlId();
  if (m.MessageType() != "ADT") {
    return refuse(&m, hl7v2::kReject,
                  {hl7v2::kErrUnsupportedMessageType, "the Document Registry accepts ADT messages only", "MSH", 9});
  }
  static const auto* const kEvents = new std::set<std::string>{"A01", "A04", "A05", "A08", "A40"};
  const std::string event = m.TriggerEvent();
  if (!kEvents->count(event)) {
    return refuse(
        &m, hl7v2::kReject,
        {hl7v2::kErrUnsupportedEventCode, "the patient identity feed takes A01, A04, A05, A08 and A40", "MSH", 9});
  }
  const std::string version = m.Version();
  if (!(version == "2.3.1" || absl::StartsWith(version, "2.4") || absl::StartsWith(version, "2.5"))) {
    return refuse(&m, hl7v2::kReject,
                  {hl7v2::kErrUnsupportedVersion, "HL7 v2.3.1 to v2.5.x messages are accepted", "MSH", 12});
  }
  const hl7v2::Segment* pid = m.Find("PID");
  if (pid == nullptr) {
    return refuse(&m, hl7v2::kError, {hl7v2::kErrRequiredFieldMissing, "the message has no PID segment", "PID", 0});
  }

  PatientFeedRequest request;
  request.kind = event == "A08"   ? PatientFeedRequest::Kind::kUpdate
                 : event == "A40" ? PatientFeedRequest::Kind::kMerge
                                  : PatientFeedRequest::Kind::kAdd;
  request.patient_ids = Identifiers(m, pid->Field(3));
  if (request.kind == PatientFeedRequest::Kind::kMerge) {
    const hl7v2::Segment* mrg = m.Find("MRG");
    if (mrg == nullptr) {
      return refuse(&m, hl7v2::kError, {hl7v2::kErrRequiredFieldMissing, "an A40 needs its MRG segment", "MRG", 0});
    }
    request.prior_ids = Identifiers(m, mrg->Field(1));
  }

  absl::StatusOr<PatientFeedResult> result = registry.PatientFeed(context, "ITI-8", request);
  if (!result.ok()) {
    // The gate's refusal or the store's failure; both recorded by the registry already.
    const bool denied = absl::IsPermissionDenied(result.status());
    return hl7v2::MakeAck(&m, denied ? hl7v2::kReject : hl7v2::kError,
                          {hl7v2::kErrApplicationInternal, std::string(result.status().message()), "", 0},
                          kReceivingApplication, now);
  }
  using Refusal = PatientFeedResult::Refusal;
  switch (result->refusal) {
    case Refusal::kNone:
      return hl7v2::MakeAck(&m, hl7v2::kAccept, {}, kReceivingApplication, now);
    case Refusal::kNoDomainPriorId:
      return hl7v2::MakeAck(&m, hl7v2::kError, {hl7v2::kErrUnknownKey, result->refusal_text, "MRG", 1},
                            kReceivingApplication, now);
    case Refusal::kNoDomainPatientId:
    case Refusal::kMergedAway:
      break;
  }
  return hl7v2::MakeAck(&m, hl7v2::kError, {hl7v2::kErrUnknownKey, result->refusal_text, "PID", 3},
                        kReceivingApplication, now);
}

}  // namespace xds::iti8
