// `xdsctl audit`: the audit trail's events (proto/audit.proto) as xdsctl prints them. JSON
// (DESIGN §5, stable keys), FHIR R4 AuditEvent resources after IHE BALP, and a table. Built
// with nlohmann::ordered_json so that keys keep the documented order.
#ifndef XDS_TOOLS_XDSCTL_AUDIT_OUTPUT_H_
#define XDS_TOOLS_XDSCTL_AUDIT_OUTPUT_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "proto/audit.pb.h"

namespace xds::ctl {

using OrderedJson = nlohmann::ordered_json;

// An HL7 DTM (YYYY[MM[DD[hh[mm[ss]]]]], UTC) as milliseconds since the Unix epoch, the start
// of the period it names. InvalidArgument (naming `flag`) otherwise.
absl::StatusOr<int64_t> DtmToMillis(const std::string& dtm, const std::string& flag);

// 2026-12-07T01:02:03.456Z (ISO 8601 / FHIR instant, UTC, milliseconds).
std::string IsoTime(int64_t ms);

// The act in one word: query, retrieve, provide, register, update, delete, remove,
// patient-feed, authenticate, admin, or refused (a refusal before any act was known);
// else read, create, change, erase, execute after the DICOM action code.
std::string ActionWord(const AuditEvent& e);
// DICOM EventOutcomeIndicator: success (0), partial (4), failure (8), error (12).
std::string OutcomeWord(int outcome);

// One event in xdsctl's JSON form, and the whole answer: {"events":[...],"truncated":bool}.
OrderedJson AuditEventJson(const AuditEvent& e);
OrderedJson AuditLogJson(const AuditLogResponse& r);

// One event as a FHIR R4 AuditEvent, and the answer as a Bundle of type collection.
OrderedJson AuditEventFhir(const AuditEvent& e);
OrderedJson AuditLogFhir(const AuditLogResponse& r);

// One line per event, for people.
std::string AuditLogTable(const AuditLogResponse& r);

// {"intact","events","firstSeq","lastSeq","problem"}.
OrderedJson VerifyJson(const VerifyAuditResponse& r);

// Compact JSON; invalid UTF-8 in the events is replaced (U+FFFD) rather than aborting.
std::string DumpJson(const OrderedJson& j);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_AUDIT_OUTPUT_H_
