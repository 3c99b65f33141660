// The one place per service every request passes: CallGate::Enter before the transaction
// (authorisation) and Leave after it (audit). Enter checks the node's
// rights: over mutual TLS a transaction needs the right its certificate must carry (ITI-18
// and ITI-43 consumer, ITI-41 and ITI-42 source, the administration verbs and the patient
// identity feed ITI-8/ITI-44 admin); a plain
// development service admits every caller. Leave writes a log line for failed calls, with
// the detail that the response must not carry (paths, SQL, internal addresses), and names
// who asked: the node's organisation and the XUA claims. With an audit trail, Leave also
// records the call's AuditEvent and returns only once it is durable, so that no answer
// leaves before its event is kept.
#ifndef XDS_REGISTRY_SHARED_SERVICE_CALL_GATE_H_
#define XDS_REGISTRY_SHARED_SERVICE_CALL_GATE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "proto/audit.pb.h"
#include "registry/shared/audit/trail.h"
#include "registry/shared/service/call_context.h"

namespace xds {

// How a transaction ended, as the gate records it.
struct CallOutcome {
  bool ok = true;
  bool partial = false;    // ok, but only in part (PartialSuccess)
  std::string error_code;  // first XDS error code (or status code name) when !ok
  std::string detail;      // internal detail for the service log only

  // The call's audit event: the gate fills in who and when; the transaction adds what it
  // touched (patients, documents, the query). A transaction that commits the event with
  // its own write (so that both share one commit) passes `audit` to its store, which sets
  // audit_committed (the event waits in the store's outbox for the trail): Leave then does
  // not append it again. Null when auditing is off.
  AuditEvent* audit = nullptr;
  bool audit_committed = false;
  bool audited() const { return audit != nullptr && (audit_committed || audit->seq() > 0); }

  // Marks the call failed: `code` becomes error_code unless one is set already, and
  // `detail` is appended (several internal failures of one call share its one log line).
  void Fail(std::string_view code, std::string_view more_detail);
  // A transaction's XDS answer: a Failure fails the call with its first error's code
  // (unless a failure was named already), a PartialSuccess makes it partial.
  void Answered(const RegistryResponse& response);
};

// Whether Enter asks for the node's rights (services on mutual TLS) or admits any caller
// (plain transport on loopback, development only).
enum class NodeRights { kAdmitAll, kFromCertificate };

struct GateOptions {
  NodeRights rights = NodeRights::kAdmitAll;
  bool log_every_call = false;  // a line for successful calls too (--log_calls)
  // Where calls are recorded (null: auditing off, for benchmarks against it). Must
  // outlive the gate.
  audit::Trail* trail = nullptr;
  std::string endpoint;  // this service's address, as audit events name it
};

class CallGate {
 public:
  CallGate(std::string service_name, GateOptions options) : service_name_(std::move(service_name)), options_(options) {}

  // Returns OK when the caller may run `transaction` (e.g. "ITI-18"); a denial status
  // otherwise, whose message is safe to show the caller.
  absl::Status Enter(const CallContext& context, std::string_view transaction) const;
  // Logs, and records the audit event (unless the transaction committed it already).
  // Returns the recording's failure: the caller must then not answer as if all went well.
  absl::Status Leave(const CallContext& context, std::string_view transaction, CallOutcome& outcome) const;
  // A request the edge refused before it reached a transaction (a malformed envelope, an
  // XUA assertion refused): recorded like a failed call, `code` as its error code.
  void Refused(const CallContext& context, std::string_view transaction, std::string_view code,
               std::string_view detail) const;

  // Who and when of a call, as its audit event starts.
  AuditEvent Describe(const CallContext& context, std::string_view transaction) const;
  bool auditing() const { return options_.trail != nullptr; }

 private:
  void Log(const CallContext& context, std::string_view transaction, const CallOutcome& outcome) const;

  std::string service_name_;
  GateOptions options_;
};

// RAII form for the service cores: Enter on construction, Leave with the outcome set on
// Close, or on destruction whatever other path the transaction returns by. A successful
// answer goes out only after Close returned OK (its event is durable).
class GatedCall {
 public:
  GatedCall(const CallGate& gate, const CallContext& context, std::string_view transaction)
      : gate_(gate), context_(context), transaction_(transaction), admitted_(gate.Enter(context, transaction)) {
    if (gate.auditing()) {
      event_ = gate.Describe(context, transaction);
      outcome_.audit = &event_;
    }
  }
  ~GatedCall() {
    if (!closed_) (void)gate_.Leave(context_, transaction_, outcome_);
  }
  GatedCall(const GatedCall&) = delete;
  GatedCall& operator=(const GatedCall&) = delete;

  const absl::Status& admitted() const { return admitted_; }
  CallOutcome& outcome() { return outcome_; }
  // What the transaction touched goes here (a scratch event when auditing is off).
  AuditEvent& event() { return event_; }

  absl::Status Close() {
    closed_ = true;
    return gate_.Leave(context_, transaction_, outcome_);
  }

 private:
  const CallGate& gate_;
  const CallContext& context_;
  std::string_view transaction_;
  absl::Status admitted_;
  AuditEvent event_;
  CallOutcome outcome_;
  bool closed_ = false;
};

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_SERVICE_CALL_GATE_H_
