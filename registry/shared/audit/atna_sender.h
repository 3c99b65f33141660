// Sends a service's own audit events to one ATNA Audit Record Repository (ITI-20): syslog
// over TLS (RFC 5425, mutual authentication with the region's certificates) or over UDP
// (RFC 5426).
//
// The trail is the spool. A sender reads the events after its durable cursor
// ("atna:<url>"), sends them in seq order and moves the cursor after each batch written, so
// a repository that is down gets every event, in order, once it is back; nothing is dropped
// and a transaction never waits for a repository (only the sender's own thread does).
#ifndef XDS_REGISTRY_SHARED_AUDIT_ATNA_SENDER_H_
#define XDS_REGISTRY_SHARED_AUDIT_ATNA_SENDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/shared/audit/atna_message.h"
#include "registry/shared/audit/trail.h"
#include "registry/shared/net/tls.h"

namespace xds::audit {

struct AtnaDestination {
  enum class Transport { kUdp, kTls };
  Transport transport = Transport::kTls;
  std::string host;
  uint16_t port = 0;
  std::string url;  // as configured: "tls://host:port" / "udp://host:port"
};

// The XDS_AUDIT_SYSLOG value: a comma-separated list of udp://HOST:PORT or tls://HOST:PORT
// (HOST a name, an IPv4 address or a bracketed IPv6 address). Empty gives no destination;
// InvalidArgument names the first entry that is none of these.
absl::StatusOr<std::vector<AtnaDestination>> ParseAuditSyslog(std::string_view value);

class AtnaSender {
 public:
  struct Options {
    AtnaDestination destination;
    AuditSource source;
    tls::Files tls;  // client certificate, key and CA; required for tls://
    // Events per write and per cursor commit: a commit (an fsync) per 100 events held the
    // drain at 11k events/s against 18k at 500 (tools/bench/README.md, ATNA).
    size_t batch = 500;
    // A backlog (events not yet sent) above this many writes one alarm line to stderr.
    int64_t backlog_alarm = 1000;
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(30);
    absl::Duration io_timeout = absl::Seconds(10);  // connect, handshake, one batch's write
  };

  struct Stats {
    int64_t sent = 0;     // events written since start
    int64_t cursor = 0;   // the last seq sent (or skipped as not this service's own)
    int64_t backlog = 0;  // LastSeq() - cursor
    bool alarm = false;   // backlog above Options::backlog_alarm
    std::string last_error;
  };

  // Starts the sender's thread. InvalidArgument for tls:// without certificate, key and CA
  // (or files that do not load); the trail must outlive the sender.
  static absl::StatusOr<std::unique_ptr<AtnaSender>> Start(Trail* trail, Options options);

  // Stops and joins (within about a tenth of a second, plus one SQLite read).
  ~AtnaSender();
  AtnaSender(const AtnaSender&) = delete;
  AtnaSender& operator=(const AtnaSender&) = delete;

  Stats stats() const;
  const std::string& cursor_name() const { return cursor_name_; }
  const std::string& url() const { return options_.destination.url; }

 private:
  class Connection;
  AtnaSender(Trail* trail, Options options, std::unique_ptr<Connection> connection);
  void Run();
  void Backoff(absl::Duration* delay);
  void UpdateBacklog(int64_t cursor);
  void SetError(std::string error);

  Trail* const trail_;
  const Options options_;
  const std::string cursor_name_;
  std::unique_ptr<Connection> connection_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  Stats stats_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_ATNA_SENDER_H_
