#include "registry/shared/service/call_gate.h"

#include <iostream>
#include <map>

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

namespace {

// The right each transaction needs. A transaction missing here is refused to every
// certificate: a new way in must be given its right before anyone can use it.
const char* RequiredRole(std::string_view transaction) {
  static const auto* const kRoles = new std::map<std::string_view, const char*>{
      {"ITI-18", tls::kRoleConsumer},    {"ITI-43", tls::kRoleConsumer}, {"Retrieve", tls::kRoleConsumer},
      {"ITI-41", tls::kRoleSource},      {"ITI-42", tls::kRoleSource},   {"AddPatient", tls::kRoleAdmin},
      {"ListPatients", tls::kRoleAdmin}, {"Stats", tls::kRoleAdmin},     {"Backup", tls::kRoleAdmin},
  };
  auto it = kRoles->find(transaction);
  return it == kRoles->end() ? nullptr : it->second;
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

void CallGate::Refused(const CallContext& context, std::string_view transaction, std::string_view code,
                       std::string_view detail) const {
  CallOutcome outcome;
  outcome.Fail(code, detail);
  Leave(context, transaction, outcome);
}

void CallGate::Leave(const CallContext& context, std::string_view transaction, const CallOutcome& outcome) const {
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
