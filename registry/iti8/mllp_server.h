// The MLLP listener of the patient identity feed (ITI-8): HL7 v2 messages over TCP, or over
// mutual TLS with the service's own TLS configuration (plain only where the service runs
// --insecure on loopback). Boost.Asio, as the HTTP server: reads are asynchronous, so a
// slow or stalled sender holds a socket, never a thread; a pool of `handler_threads`
// threads runs the handlers, which may block (a registration waits for its group commit).
// Each connection is served in order: one message, its ACK, the next. A frame must
// complete within frame_timeout_seconds of its first byte, a connection may stay idle
// idle_timeout_seconds; a framing error or an oversized frame closes the connection.
#ifndef XDS_REGISTRY_ITI8_MLLP_SERVER_H_
#define XDS_REGISTRY_ITI8_MLLP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "registry/shared/net/tls.h"

namespace xds::iti8 {

struct MllpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;                      // 0 = any free port
  size_t max_frame_bytes = 1 << 20;  // one HL7 message
  int max_connections = 1000;        // beyond: closed at once
  int handler_threads = 16;
  int frame_timeout_seconds = 30;
  int idle_timeout_seconds = 300;
  std::shared_ptr<tls::ServerContext> tls;  // null: plain TCP
};

// Who sent a frame: the peer and the node of its verified certificate (empty over TCP).
struct MllpPeer {
  std::string address;  // "ip:port"
  tls::PeerIdentity identity;
};

struct MllpCallbacks {
  // One complete message; returns the reply to send back framed (the ACK).
  std::function<std::string(const std::string& message, const MllpPeer& peer)> on_message;
  // The connection is closed for `reason`: a framing error, an oversized frame, a failed
  // TLS handshake (handshake = true). Null: only logged.
  std::function<void(const MllpPeer& peer, const std::string& reason, bool handshake)> on_refused;
};

class MllpServer {
 public:
  virtual ~MllpServer() = default;
  virtual int port() const = 0;
  // Stops accepting, closes every connection and waits for running handlers.
  virtual void Shutdown() = 0;
};

absl::StatusOr<std::unique_ptr<MllpServer>> StartMllpServer(const MllpServerOptions& options, MllpCallbacks callbacks);

}  // namespace xds::iti8

#endif  // XDS_REGISTRY_ITI8_MLLP_SERVER_H_
