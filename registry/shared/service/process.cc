#include "registry/shared/service/process.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"

// The HTTP server's connection limits, the same for both services (defined here once;
// --max_body_bytes stays in each main, whose defaults differ).
ABSL_FLAG(int, max_connections, 10000,
          "Most open SOAP connections; beyond it a new client gets HTTP 503 at once (lowered to fit RLIMIT_NOFILE)");
ABSL_FLAG(int, header_timeout_seconds, 10, "Time a client has to send a whole request header; then it is closed");
ABSL_FLAG(int, body_timeout_seconds, 30, "Time a client has to send a whole request body once its header is in");
ABSL_FLAG(int, idle_timeout_seconds, 60, "Time a keep-alive connection may sit idle between requests");
ABSL_FLAG(int, handler_threads, 256, "SOAP requests handled (and blocking) at once; further ones wait in order");

namespace xds::service {
namespace {
// SIGTERM and SIGINT are blocked in every thread and taken by sigwait in the main one: a
// handler may run on any thread (I/O, gRPC), and a flag set there would leave the main
// thread in pause() for ever.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

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

std::unique_ptr<grpc::Server> StartGrpcServer(const std::string& program, const std::string& address, int port,
                                              const std::vector<grpc::Service*>& services, int* bound_port) {
  grpc::ServerBuilder builder;
  *bound_port = 0;
  builder.AddListeningPort(address + ":" + std::to_string(port), grpc::InsecureServerCredentials(), bound_port);
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

void ServeUntilSignal(const std::string& port_file, http::Server& http_server, grpc::Server& grpc_server,
                      int grpc_port) {
  if (!port_file.empty()) {
    std::error_code ec;
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << http_server.port() << " " << grpc_port << "\n";
    std::filesystem::rename(tmp, port_file, ec);
  }
  sigset_t stop = StopSignals();
  int signal = 0;
  while (sigwait(&stop, &signal) != 0) {
  }
  http_server.Shutdown();
  grpc_server.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace xds::service
