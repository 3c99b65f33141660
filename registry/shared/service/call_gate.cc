#include "registry/shared/service/call_gate.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace xds {

void CallOutcome::Fail(std::string_view code, std::string_view more_detail) {
  ok = false;
  if (error_code.empty()) error_code = std::string(code);
  if (more_detail.empty()) return;
  if (!detail.empty()) detail += "; ";
  detail += more_detail;
}

absl::Status CallGate::Enter(const CallContext&, std::string_view) const { return absl::OkStatus(); }

void CallGate::Leave(const CallContext& context, std::string_view transaction, const CallOutcome& outcome) const {
  if (outcome.ok) return;
  // One line, written at once so that concurrent calls do not interleave.
  std::string line = absl::StrCat(service_name_, ": ", std::string(transaction), " from ",
                                  context.peer.empty() ? "-" : "", context.peer);
  absl::StrAppend(&line, " failed (", outcome.error_code, ", ",
                  absl::ToInt64Milliseconds(absl::Now() - context.received), " ms)");
  if (!outcome.detail.empty()) absl::StrAppend(&line, ": ", outcome.detail);
  line += '\n';
  std::cerr << line << std::flush;
}

}  // namespace xds
