// A small HTTP/1.1 server (Boost.Beast) for the SOAP endpoints: keep-alive, TCP_NODELAY,
// a body-size limit, header/body/idle timeouts. Requests are read asynchronously, so a slow
// or stalled client holds only a socket, never a thread. `handler_threads` threads run the
// event loop, and a complete request's handler runs on the thread that read it; handlers may
// block (a registration waits for its group commit), up to `handler_threads` at once. Beyond `max_connections` open
// sockets a new client is answered 503 at once instead of waiting unseen in the backlog.
#ifndef XDS_REGISTRY_SHARED_NET_HTTP_SERVER_H_
#define XDS_REGISTRY_SHARED_NET_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "registry/shared/net/tls.h"

namespace xds::http {

struct Request {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
  std::string peer;            // "ip:port" of the remote end
  tls::PeerIdentity identity;  // the verified client certificate's (empty over plain HTTP)
};

struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0 = pick a free port
  size_t max_body_bytes = 64 * 1024 * 1024;
  // Open sockets; lowered at start to fit under RLIMIT_NOFILE (whose soft limit is raised to
  // the hard one) with room left for the store's and gRPC's descriptors.
  int max_connections = 10000;
  int header_timeout_seconds = 10;  // the whole header, from accept or from its first byte
  int body_timeout_seconds = 30;    // the whole body, once the header is in
  int idle_timeout_seconds = 60;    // between keep-alive requests
  int handler_threads = 256;        // handlers running (and blocking) at once
  // Mutual TLS; null serves plain HTTP (the mains allow that on loopback only).
  std::shared_ptr<tls::ServerContext> tls;
  // Called (on the connection's loop thread) when a client fails the TLS handshake: no
  // certificate, one the region's CA did not sign, an expired or revoked one, a protocol
  // or cipher outside BCP195. The services record it as a security alert.
  std::function<void(const std::string& peer, const std::string& reason)> on_handshake_failure;
};

class Server {
 public:
  virtual ~Server() = default;
  virtual int port() const = 0;
  // Stops accepting, closes every connection and waits for running handlers; returns when
  // all threads are done.
  virtual void Shutdown() = 0;
};

// Starts serving in background threads. Bodies larger than max_body_bytes are answered
// with 413 and a SOAP 1.2 Fault (the caller cannot get a RegistryResponse for a body it
// could not read).
absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options, Handler handler);

// Sets glibc malloc up for request-scoped garbage. Call first thing in main(), before any
// thread starts: it may re-execute the program (same pid, same arguments) once.
// - Freed memory is kept for reuse instead of being returned to the kernel after every
//   request: with trimming on, each request's buffers were faulted in afresh (mprotect,
//   page faults, madvise: 7 % of the registry's CPU per ITI-18 query).
// - Each thread caches up to 1,000 freed chunks per size instead of 7: a LeafClass answer
//   frees hundreds of same-sized strings and nodes at once, which otherwise go to the
//   shared bins and are merged and split again by the next request (about -12 % registry
//   CPU per LeafClass query). glibc reads this only from GLIBC_TUNABLES at process start,
//   hence the re-execution; a tcache_count the operator set there is left alone.
void TuneMalloc(char** argv);

}  // namespace xds::http

#endif  // XDS_REGISTRY_SHARED_NET_HTTP_SERVER_H_
