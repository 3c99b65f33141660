#include "registry/shared/service/call_gate.h"

#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "registry/shared/net/tls.h"

namespace xds {

void CallOutcome::Fail(std::string_view code, std::string_view more_detail) {
  ok = false;
  if (error_code.empty()) error_code = std::string(code);
  if (more_detail.empty()) return;
  if (!detail.empty()) detail += "; ";
  detail += more_detail;
}

void CallOutcome::Answered(const RegistryResponse& response) {
  if (response.status() == PARTIAL_SUCCESS) partial = true;
  if (response.status() != SUCCESS && response.status() != PARTIAL_SUCCESS) {
    Fail(response.errors_size() > 0 ? response.errors(0).code() : "", "");
  }
}

namespace {

// The right each transaction needs. A transaction missing here is refused to every
// certificate: a new way in must be given its right before anyone can use it.
const char* RequiredRole(std::string_view transaction) {
  static const auto* const kRoles = new std::map<std::string_view, const char*>{
      {"ITI-18", tls::kRoleConsumer},
      {"ITI-43", tls::kRoleConsumer},
      {"Retrieve", tls::kRoleConsumer},
      {"ITI-41", tls::kRoleSource},
      {"ITI-42", tls::kRoleSource},
      // The lifecycle transactions change or delete what others submitted: the Document
      // Administrator of MU and RMD is the region's administrator (no ownership rule yet).
      {"ITI-57", tls::kRoleAdmin},
      {"ITI-62", tls::kRoleAdmin},
      {"ITI-86", tls::kRoleAdmin},
      {"AddPatient", tls::kRoleAdmin},
      {"ListPatients", tls::kRoleAdmin},
      {"PatientLinks", tls::kRoleAdmin},
      // The patient identity feed (issue 17) comes from the region's identity source, an
      // administrator: a document source may not create or merge patients.
      {"ITI-8", tls::kRoleAdmin},
      {"ITI-44", tls::kRoleAdmin},
      {"Stats", tls::kRoleAdmin},
      {"Backup", tls::kRoleAdmin},
      {"AuditLog", tls::kRoleAdmin},
      {"AuditVerify", tls::kRoleAdmin},
      // The region's consent desk (issue 16) is an administrator.
      {"ConsentGrant", tls::kRoleAdmin},
      {"ConsentDeny", tls::kRoleAdmin},
      {"ConsentRevoke", tls::kRoleAdmin},
      {"ConsentList", tls::kRoleAdmin},
      {"ConsentRelationshipStart", tls::kRoleAdmin},
      {"ConsentRelationshipEnd", tls::kRoleAdmin},
      {"ConsentExclude", tls::kRoleAdmin},
      {"ConsentUnexclude", tls::kRoleAdmin},
      // A node that may publish delivers its own audit events (kept under its subject).
      {"RecordAudit", tls::kRoleSource},
      {"AccessDecision", tls::kRoleRepository},
      {"WatchPolicy", tls::kRoleRepository},
  };
  auto it = kRoles->find(transaction);
  return it == kRoles->end() ? nullptr : it->second;
}

// DICOM EventActionCode of each transaction: C create, R read, U update, D delete, E
// execute (queries, the administration's reads and checks).
const char* ActionOf(std::string_view transaction) {
  static const auto* const kActions = new std::map<std::string_view, const char*>{
      {"ITI-41", "C"},
      {"ITI-42", "C"},
      {"ITI-57", "U"},
      {"ITI-62", "D"},
      {"ITI-86", "D"},
      {"AddPatient", "C"},
      {"RecordAudit", "C"},
      {"ITI-8", "C"},  // add; updates and merges set U
      {"ITI-44", "C"},
      {"PatientLinks", "R"},
      {"ITI-43", "R"},
      {"Retrieve", "R"},
      {"Backup", "R"},
      {"ConsentGrant", "C"},
      {"ConsentDeny", "C"},
      {"ConsentRevoke", "D"},
      {"ConsentList", "R"},
      {"ConsentRelationshipStart", "C"},
      {"ConsentRelationshipEnd", "U"},
      {"ConsentExclude", "C"},
      {"ConsentUnexclude", "U"},
  };
  auto it = kActions->find(transaction);
  return it == kActions->end() ? "E" : it->second;
}

// Purposes of use that open access in an emergency (break-the-glass): the XUA purpose
// codes of ISO 14265 / HL7 (EMERGENCY, ETREAT, BTG) as the assertion may carry them.
bool IsEmergency(const std::string& purpose) {
  for (const char* code : {"EMERGENCY", "ETREAT", "BTG", "ERTREAT"}) {
    if (absl::EqualsIgnoreCase(purpose, code)) return true;
  }
  return false;
}

// DICOM EventOutcomeIndicator: 8 for a refusal or an XDS error the requester caused, 12
// when the service itself failed.
int OutcomeCode(const CallOutcome& outcome) {
  if (outcome.ok) return outcome.partial ? 4 : 0;
  for (const char* code : {"UNAVAILABLE", "INTERNAL", "DATA_LOSS", "UNKNOWN", "XDSRegistryError", "XDSRepositoryError",
                           "XDSRegistryBusy", "XDSRepositoryBusy"}) {
    if (outcome.error_code == code) return 12;
  }
  return 8;
}

}  // namespace

absl::Status CallGate::Enter(const CallContext& context, std::string_view transaction) const {
  if (options_.rights == NodeRights::kAdmitAll || context.transport == CallContext::Transport::kInProcess) {
    return absl::OkStatus();
  }
  const char* role = RequiredRole(transaction);
  const tls::PeerIdentity& node = context.node;
  if (node.subject.empty() || role == nullptr || !node.HasRole(role)) {
    return absl::PermissionDeniedError(
        absl::StrCat("this node (", node.organization_id.empty() ? "no organisation id" : node.organization_id,
                     ") may not use ", std::string(transaction),
                     role == nullptr ? std::string() : absl::StrCat(": its certificate lacks the '", role, "' right")));
  }
  return absl::OkStatus();
}

AuditEvent CallGate::Describe(const CallContext& context, std::string_view transaction) const {
  AuditEvent event;
  event.set_time_ms(absl::ToUnixMillis(context.received));
  event.set_transaction(std::string(transaction));
  event.set_action(ActionOf(transaction));
  event.set_service(service_name_);
  event.set_endpoint(options_.endpoint);
  const RequesterClaims& claims = context.claims;
  event.set_organization_id(!context.node.organization_id.empty() ? context.node.organization_id
                                                                  : claims.organization_id);
  event.set_node_subject(context.node.subject);
  event.set_user_id(!claims.subject_id.empty() ? claims.subject_id : claims.subject_name_id);
  event.set_user_name(claims.subject_name_id);
  event.set_user_organization(claims.subject_organization);
  event.set_user_organization_id(claims.organization_id);
  event.set_role(claims.subject_role);
  event.set_purpose_of_use(claims.purpose_of_use);
  event.set_emergency(IsEmergency(claims.purpose_of_use));
  event.set_on_behalf_of(claims.resource_id);
  event.set_assertion_id(claims.assertion_id);
  event.set_assertion_issuer(claims.issuer);
  event.set_home_community_id(claims.home_community_id);
  event.set_peer(context.peer);
  event.set_message_id(context.message_id);
  return event;
}

void CallGate::Refused(const CallContext& context, std::string_view transaction, std::string_view code,
                       std::string_view detail) const {
  CallOutcome outcome;
  AuditEvent event;
  if (auditing()) {
    event = Describe(context, transaction);
    event.set_detail(std::string(detail));
    outcome.audit = &event;
  }
  outcome.Fail(code, detail);
  (void)Leave(context, transaction, outcome);
}

absl::Status CallGate::Leave(const CallContext& context, std::string_view transaction, CallOutcome& outcome) const {
  absl::Status recorded;
  if (outcome.audit != nullptr && !outcome.audited()) {
    AuditEvent& event = *outcome.audit;
    event.set_outcome(OutcomeCode(outcome));
    event.set_error_code(outcome.error_code);
    std::vector<AuditEvent> events(1);
    events[0] = std::move(event);
    absl::StatusOr<RecordAuditResponse> appended = options_.trail->Append(events);
    event = std::move(events[0]);
    if (!appended.ok()) {
      recorded = appended.status();
      outcome.Fail("AUDIT", absl::StrCat("the audit event could not be recorded: ", recorded.ToString()));
    }
  }
  Log(context, transaction, outcome);
  if (!recorded.ok()) {
    return absl::UnavailableError("the service could not record this request in its audit trail; retry later");
  }
  return absl::OkStatus();
}

void CallGate::Log(const CallContext& context, std::string_view transaction, const CallOutcome& outcome) const {
  if (outcome.ok && !options_.log_every_call) return;
  // One line, written at once so that concurrent calls do not interleave.
  std::string line = absl::StrCat(service_name_, ": ", std::string(transaction), " from ",
                                  context.peer.empty() ? "-" : "", context.peer);
  const RequesterClaims& claims = context.claims;
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"org", context.node.organization_id},
                                    {"subject", claims.subject_id},
                                    {"user_org", claims.organization_id},
                                    {"role", claims.subject_role},
                                    {"purpose", claims.purpose_of_use},
                                    {"patient", claims.resource_id}}) {
    if (!value.empty()) absl::StrAppend(&line, " ", name, "=", value);
  }
  const int64_t ms = absl::ToInt64Milliseconds(absl::Now() - context.received);
  if (outcome.ok) {
    std::cerr << absl::StrCat(line, " ok (", ms, " ms)\n") << std::flush;
    return;
  }
  absl::StrAppend(&line, " failed (", outcome.error_code, ", ", ms, " ms)");
  if (!outcome.detail.empty()) absl::StrAppend(&line, ": ", outcome.detail);
  line += '\n';
  std::cerr << line << std::flush;
}

}  // namespace xds
