// The one place per service every request passes: CallGate::Enter before the transaction
// (authorisation) and Leave after it (audit will record there). Enter checks the node's
// rights: over mutual TLS a transaction needs the right its certificate must carry (ITI-18
// and ITI-43 consumer, ITI-41 and ITI-42 source, the administration verbs admin); a plain
// development service admits every caller. Leave writes a log line for failed calls, with
// the detail that the response must not carry (paths, SQL, internal addresses), and names
// who asked: the node's organisation and the XUA claims.
#ifndef XDS_REGISTRY_SHARED_SERVICE_CALL_GATE_H_
#define XDS_REGISTRY_SHARED_SERVICE_CALL_GATE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "registry/shared/service/call_context.h"

namespace xds {

// How a transaction ended, as the gate records it.
struct CallOutcome {
  bool ok = true;
  std::string error_code;  // first XDS error code (or status code name) when !ok
  std::string detail;      // internal detail for the service log only

  // Marks the call failed: `code` becomes error_code unless one is set already, and
  // `detail` is appended (several internal failures of one call share its one log line).
  void Fail(std::string_view code, std::string_view more_detail);
};

// Whether Enter asks for the node's rights (services on mutual TLS) or admits any caller
// (plain transport on loopback, development only).
enum class NodeRights { kAdmitAll, kFromCertificate };

struct GateOptions {
  NodeRights rights = NodeRights::kAdmitAll;
  bool log_every_call = false;  // a line for successful calls too (--log_calls)
};

class CallGate {
 public:
  CallGate(std::string service_name, GateOptions options) : service_name_(std::move(service_name)), options_(options) {}

  // Returns OK when the caller may run `transaction` (e.g. "ITI-18"); a denial status
  // otherwise, whose message is safe to show the caller.
  absl::Status Enter(const CallContext& context, std::string_view transaction) const;
  void Leave(const CallContext& context, std::string_view transaction, const CallOutcome& outcome) const;
  // A request the edge refused before it reached a transaction (a malformed envelope, an
  // XUA assertion refused): recorded like a failed call, `code` as its error code.
  void Refused(const CallContext& context, std::string_view transaction, std::string_view code,
               std::string_view detail) const;

 private:
  std::string service_name_;
  GateOptions options_;
};

// RAII form for the service cores: Enter on construction, Leave with the outcome set on
// destruction, whatever path the transaction returns by.
class GatedCall {
 public:
  GatedCall(const CallGate& gate, const CallContext& context, std::string_view transaction)
      : gate_(gate), context_(context), transaction_(transaction), admitted_(gate.Enter(context, transaction)) {}
  ~GatedCall() { gate_.Leave(context_, transaction_, outcome_); }
  GatedCall(const GatedCall&) = delete;
  GatedCall& operator=(const GatedCall&) = delete;

  const absl::Status& admitted() const { return admitted_; }
  CallOutcome& outcome() { return outcome_; }

 private:
  const CallGate& gate_;
  const CallContext& context_;
  std::string_view transaction_;
  absl::Status admitted_;
  CallOutcome outcome_;
};

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_SERVICE_CALL_GATE_H_
