#include "registry/shared/service/process.h"

#include <unistd.h>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/ip/address.hpp"

// The HTTP server's connection limits, the same for both services (defined here once;
// --max_body_bytes stays in each main, whose defaults differ).
ABSL_FLAG(int, max_connections, 10000,
          "Most open SOAP connections; beyond it a new client gets HTTP 503 at once (lowered to fit RLIMIT_NOFILE)");
ABSL_FLAG(int, header_timeout_seconds, 10, "Time a client has to send a whole request header; then it is closed");
ABSL_FLAG(int, body_timeout_seconds, 30, "Time a client has to send a whole request body once its header is in");
ABSL_FLAG(int, idle_timeout_seconds, 60, "Time a keep-alive connection may sit idle between requests");
ABSL_FLAG(int, handler_threads, 256,
          "Event-loop threads of the SOAP server: requests handled (and blocking) at once; connections are spread over "
          "them");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM bundle of the region's CA: clients and servers must present a certificate it signed");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate (chain) of this node, for serving and for calling other services");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_crl, "", "PEM certificate revocation list of the region's CA (re-read on SIGHUP)");
ABSL_FLAG(std::string, xua_idp_certs, "",
          "Comma-separated PEM certificates of the identity providers whose XUA assertions (ITI-40) are trusted");
ABSL_FLAG(std::string, xua_audience, "", "The AudienceRestriction an XUA assertion must name (empty: any)");
ABSL_FLAG(bool, xua_required, false, "Refuse SOAP requests without an XUA assertion (wsse:FailedAuthentication)");
ABSL_FLAG(bool, log_calls, false,
          "Log every call (transaction, peer, organisation, XUA claims, outcome), not only failed ones");
ABSL_FLAG(std::string, tls_organization_attribute, "organizationIdentifier",
          "Subject attribute of a client certificate that holds its organisation id (a short name such as "
          "organizationIdentifier or serialNumber, or a dotted OID)");
ABSL_FLAG(bool, audit, true,
          "Record every call in the audit trail before answering it (off only to measure what auditing costs)");
ABSL_FLAG(std::string, audit_syslog, "",
          "ATNA audit record repositories (ITI-20), comma-separated udp://HOST:PORT or tls://HOST:PORT; tls:// "
          "authenticates with --tls_ca/--tls_cert/--tls_key. Events wait in the audit trail while one is "
          "unreachable");
ABSL_FLAG(int64_t, audit_backlog_alarm, 10000,
          "Events waiting for an ATNA repository above which an alarm is logged (nothing is ever dropped)");
ABSL_FLAG(int, audit_retention_days, 0,
          "Audit events older than this many days are removed (checked hourly); 0 keeps them all. NEN 7513 "
          "asks for as long as the record they are about");
ABSL_FLAG(bool, insecure, false,
          "Plain HTTP and gRPC without authentication: development only, refused unless --listen_address is loopback");

namespace xds::service {
namespace {
// SIGTERM, SIGINT (and SIGHUP) are blocked in every thread and taken by sigwait in the main one: a
// handler may run on any thread (I/O, gRPC), and a flag set there would leave the main
// thread in pause() for ever.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

// Puts the CRL where gRPC looks for it: a directory of files named by the issuer's hash.
// OpenSSL's hashed lookup keeps every CRL it has loaded and only ever looks for the next
// suffix (HASH.r0, then HASH.r1, ...), so a rewritten HASH.r0 would never be read again by
// the running gRPC server: at start the directory is emptied and the CRL is HASH.r0, on a
// reload it goes to the next free suffix (of two CRLs OpenSSL uses the newer lastUpdate).
absl::StatusOr<std::string> HashedCrlDirectory(const std::string& crl_path, const std::string& state_dir,
                                               bool at_start) {
  const std::string dir = state_dir + "/tls-crl";
  std::error_code ec;
  if (at_start) std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  absl::StatusOr<std::string> pem = tls::ReadFile(crl_path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::string> hash = tls::CrlIssuerHash(*pem);
  if (!hash.ok()) return hash.status();
  int suffix = 0;
  while (std::filesystem::exists(absl::StrCat(dir, "/", *hash, ".r", suffix))) ++suffix;
  // Whole or not at all: the lookup reads a file as soon as it exists.
  const std::string tmp = absl::StrCat(dir, "/", *hash, ".tmp");
  std::ofstream(tmp) << *pem;
  std::filesystem::rename(tmp, absl::StrCat(dir, "/", *hash, ".r", suffix), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot write the CRL into ", dir, ": ", ec.message()));
  return dir;
}

bool IsLoopback(const std::string& address) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(address, ec);
  return !ec && ip.is_loopback();
}

void InitProcess(int argc, char** argv, const char* usage) {
  // Before any thread exists, so that all of them inherit the mask.
  sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  http::TuneMalloc(argv);
  absl::SetProgramUsageMessage(usage);
  absl::ParseCommandLine(argc, argv);
}

void ApplyHttpFlags(http::ServerOptions* options) {
  options->max_connections = absl::GetFlag(FLAGS_max_connections);
  options->header_timeout_seconds = absl::GetFlag(FLAGS_header_timeout_seconds);
  options->body_timeout_seconds = absl::GetFlag(FLAGS_body_timeout_seconds);
  options->idle_timeout_seconds = absl::GetFlag(FLAGS_idle_timeout_seconds);
  options->handler_threads = absl::GetFlag(FLAGS_handler_threads);
}

absl::StatusOr<TransportSecurity> LoadTransportSecurity(const std::string& listen_address,
                                                        const std::string& state_dir) {
  TransportSecurity security;
  security.state_dir = state_dir;
  security.files = {absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                    absl::GetFlag(FLAGS_tls_crl)};
  if (absl::GetFlag(FLAGS_insecure)) {
    if (security.files.enabled()) return absl::InvalidArgumentError("--insecure and --tls_* exclude each other");
    if (!IsLoopback(listen_address)) {
      return absl::InvalidArgumentError(absl::StrCat("--insecure serves without authentication and is refused on ",
                                                     listen_address, ": use a loopback address"));
    }
    security.grpc_server = grpc::InsecureServerCredentials();
    security.grpc_client = grpc::InsecureChannelCredentials();
    return security;
  }
  if (!security.files.enabled()) {
    return absl::InvalidArgumentError(
        "mutual TLS is required: give --tls_ca, --tls_cert and --tls_key (and --tls_crl), or --insecure on a loopback "
        "address for development");
  }
  if (absl::Status s = tls::SetOrganizationAttribute(absl::GetFlag(FLAGS_tls_organization_attribute)); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::shared_ptr<tls::ServerContext>> soap = tls::ServerContext::Load(security.files);
  if (!soap.ok()) return soap.status();
  security.soap = *std::move(soap);
  // gRPC: the same files, watched and re-read by gRPC itself; the client must present a
  // certificate of the region's CA. gRPC's own defaults already limit TLS 1.2 to ECDHE
  // with AES-GCM.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      security.files.key, security.files.cert, security.files.ca, /*refresh_interval_sec=*/10);
  grpc::experimental::TlsServerCredentialsOptions server_options(provider);
  server_options.watch_root_certs();
  server_options.watch_identity_key_cert_pairs();
  server_options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::experimental::TlsChannelCredentialsOptions client_options;
  client_options.set_certificate_provider(provider);
  client_options.watch_root_certs();
  client_options.watch_identity_key_cert_pairs();
  if (!security.files.crl.empty()) {
    absl::StatusOr<std::string> crl_dir = HashedCrlDirectory(security.files.crl, state_dir, /*at_start=*/true);
    if (!crl_dir.ok()) return crl_dir.status();
    server_options.set_crl_directory(*crl_dir);
    client_options.set_crl_directory(*crl_dir);
  }
  security.grpc_server = grpc::experimental::TlsServerCredentials(server_options);
  security.grpc_client = grpc::experimental::TlsCredentials(client_options);
  return security;
}

GateOptions GateFlags(const TransportSecurity& security, audit::Trail* trail, const std::string& endpoint) {
  GateOptions options;
  options.rights = security.secure() ? NodeRights::kFromCertificate : NodeRights::kAdmitAll;
  options.log_every_call = absl::GetFlag(FLAGS_log_calls);
  if (absl::GetFlag(FLAGS_audit)) {
    options.trail = trail;
  } else {
    std::cerr << "WARNING: --noaudit: calls are not recorded in the audit trail\n";
  }
  options.endpoint = endpoint;
  return options;
}

absl::StatusOr<std::vector<std::unique_ptr<audit::AtnaSender>>> StartAtnaSenders(const TransportSecurity& security,
                                                                                 audit::Trail* trail,
                                                                                 const std::string& service,
                                                                                 const std::string& site) {
  absl::StatusOr<std::vector<audit::AtnaDestination>> destinations =
      audit::ParseAuditSyslog(absl::GetFlag(FLAGS_audit_syslog));
  if (!destinations.ok()) return destinations.status();
  std::vector<std::unique_ptr<audit::AtnaSender>> senders;
  if (destinations->empty()) return senders;
  if (!absl::GetFlag(FLAGS_audit)) return absl::InvalidArgumentError("--audit_syslog needs the audit trail (--audit)");
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  for (audit::AtnaDestination& destination : *destinations) {
    audit::AtnaSender::Options options;
    options.destination = std::move(destination);
    options.source.source_id = absl::StrCat(service, "@", host);
    options.source.enterprise_site_id = site;
    options.source.host = host;
    options.source.app_name = service;
    options.tls = security.files;
    options.backlog_alarm = absl::GetFlag(FLAGS_audit_backlog_alarm);
    absl::StatusOr<std::unique_ptr<audit::AtnaSender>> sender = audit::AtnaSender::Start(trail, std::move(options));
    if (!sender.ok()) return sender.status();
    senders.push_back(*std::move(sender));
  }
  return senders;
}

AuditRetention::AuditRetention(audit::Trail* trail) : trail_(trail) {
  int days = absl::GetFlag(FLAGS_audit_retention_days);
  if (days <= 0) return;
  thread_ = std::thread([this, days] {
    std::unique_lock<std::mutex> lock(mu_);
    do {
      lock.unlock();
      absl::StatusOr<int64_t> removed = trail_->RemoveBefore(absl::ToUnixMillis(absl::Now() - absl::Hours(24 * days)));
      if (!removed.ok()) {
        std::cerr << "audit retention: " << removed.status() << "\n";
      } else if (*removed > 0) {
        std::cerr << "audit retention: removed " << *removed << " events older than " << days << " days\n";
      }
      lock.lock();
    } while (!cv_.wait_for(lock, std::chrono::hours(1), [this] { return stopping_; }));
  });
}

AuditRetention::~AuditRetention() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<xua::Verifier>> LoadXua() {
  xua::XuaConfig config;
  for (absl::string_view path : absl::StrSplit(absl::GetFlag(FLAGS_xua_idp_certs), ',', absl::SkipEmpty())) {
    config.idp_certificates.emplace_back(path);
  }
  config.audience = absl::GetFlag(FLAGS_xua_audience);
  config.required = absl::GetFlag(FLAGS_xua_required);
  if (config.required && config.idp_certificates.empty()) {
    return absl::InvalidArgumentError("--xua_required needs --xua_idp_certs");
  }
  return xua::Verifier::Create(config);
}

std::unique_ptr<grpc::Server> StartGrpcServer(const std::string& program, const std::string& address, int port,
                                              const TransportSecurity& security,
                                              const std::vector<grpc::Service*>& services, int* bound_port) {
  grpc::ServerBuilder builder;
  *bound_port = 0;
  builder.AddListeningPort(address + ":" + std::to_string(port), security.grpc_server, bound_port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  // The sync server's defaults (1..2 pollers) create and destroy a thread per blocking
  // call; keep enough of them alive.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 4);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || *bound_port == 0) {
    std::cerr << program << ": cannot listen for gRPC on " << address << ":" << port << "\n";
    return nullptr;
  }
  return server;
}

void ServeUntilSignal(const std::string& port_file, const TransportSecurity& security, http::Server& http_server,
                      grpc::Server& grpc_server, int grpc_port) {
  if (!port_file.empty()) {
    std::error_code ec;
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << http_server.port() << " " << grpc_port << "\n";
    std::filesystem::rename(tmp, port_file, ec);
  }
  sigset_t stop = StopSignals();
  int signal = 0;
  while (true) {
    if (sigwait(&stop, &signal) != 0) continue;
    if (signal != SIGHUP) break;
    if (!security.secure()) continue;
    absl::Status reloaded = security.soap->Reload();
    if (reloaded.ok() && !security.files.crl.empty())
      reloaded = HashedCrlDirectory(security.files.crl, security.state_dir, /*at_start=*/false).status();
    std::cerr << "TLS certificates " << (reloaded.ok() ? "re-read" : "NOT re-read, the previous ones stay: ")
              << (reloaded.ok() ? "" : reloaded.message()) << std::endl;
  }
  http_server.Shutdown();
  grpc_server.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace xds::service
