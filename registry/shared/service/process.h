// What both service processes do around their own set-up: flags and malloc first, a gRPC
// server started the same way, the port file, and the wait for SIGTERM/SIGINT.
#ifndef XDS_REGISTRY_SHARED_SERVICE_PROCESS_H_
#define XDS_REGISTRY_SHARED_SERVICE_PROCESS_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "registry/shared/audit/atna_sender.h"
#include "registry/shared/net/http_server.h"
#include "registry/shared/net/tls.h"
#include "registry/shared/service/call_gate.h"
#include "registry/shared/xua/assertion.h"

namespace xds::service {

// First thing in main(): malloc tuning (may re-execute the program once), the usage
// message, the command line.
void InitProcess(int argc, char** argv, const char* usage);

// Sets the HTTP connection limits and timeouts (--max_connections, --header_timeout_seconds,
// --body_timeout_seconds, --idle_timeout_seconds, --handler_threads) into *options.
void ApplyHttpFlags(http::ServerOptions* options);

// How a service talks to the world: mutual TLS from --tls_ca, --tls_cert, --tls_key and
// --tls_crl (one node certificate for serving and for calling other services), or plain
// with --insecure, which only a loopback listen address may use (development).
struct TransportSecurity {
  tls::Files files;
  std::string state_dir;
  std::shared_ptr<tls::ServerContext> soap;  // null when plain
  std::shared_ptr<grpc::ServerCredentials> grpc_server;
  std::shared_ptr<grpc::ChannelCredentials> grpc_client;
  bool secure() const { return soap != nullptr; }
  std::string scheme() const { return secure() ? "https" : "http"; }
};
// `state_dir` receives the CRL in the hashed layout gRPC reads.
absl::StatusOr<TransportSecurity> LoadTransportSecurity(const std::string& listen_address,
                                                        const std::string& state_dir);

// Node rights from the certificate on mutual TLS, every call logged with --log_calls, and
// recorded in `trail` (the service's store's) unless --noaudit. `endpoint` is the
// service's address as its audit events name it.
GateOptions GateFlags(const TransportSecurity& security, audit::Trail* trail, const std::string& endpoint);

// One ATNA sender (ITI-20) per --audit_syslog destination, reading `trail`; tls://
// authenticates with the service's own certificate. `site` is the AuditEnterpriseSiteID (the
// affinity domain). The senders must stop (be destroyed) before the trail.
absl::StatusOr<std::vector<std::unique_ptr<audit::AtnaSender>>> StartAtnaSenders(const TransportSecurity& security,
                                                                                 audit::Trail* trail,
                                                                                 const std::string& service,
                                                                                 const std::string& site);

// --audit_retention_days: removes older events from `trail` at start and hourly after, on a
// thread of its own. Must be destroyed before the trail.
class AuditRetention {
 public:
  explicit AuditRetention(audit::Trail* trail);
  ~AuditRetention();
  AuditRetention(const AuditRetention&) = delete;
  AuditRetention& operator=(const AuditRetention&) = delete;

 private:
  audit::Trail* trail_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The XUA configuration of --xua_idp_certs, --xua_audience and --xua_required (ITI-40). A
// service without identity providers accepts requests without assertions and refuses a
// mustUnderstand one it cannot check.
absl::StatusOr<std::unique_ptr<xua::Verifier>> LoadXua();

// Starts a gRPC server for `services` on address:port (0 = any free port) and sets
// *bound_port. nullptr (after logging why) when it cannot listen. Calls that block in the
// group commit each hold a server thread, hence the poller bounds.
std::unique_ptr<grpc::Server> StartGrpcServer(const std::string& program, const std::string& address, int port,
                                              const TransportSecurity& security,
                                              const std::vector<grpc::Service*>& services, int* bound_port);

// Writes "HTTP_PORT GRPC_PORT" to `port_file` (when not empty; atomically, for the scripts
// and tests that wait for it), blocks until SIGTERM or SIGINT, then stops both servers.
// SIGHUP re-reads the certificates, key and CRL: new connections use them, open ones are
// kept (gRPC watches the same files and reloads them itself).
void ServeUntilSignal(const std::string& port_file, const TransportSecurity& security, http::Server& http_server,
                      grpc::Server& grpc_server, int grpc_port);

}  // namespace xds::service

#endif  // XDS_REGISTRY_SHARED_SERVICE_PROCESS_H_
