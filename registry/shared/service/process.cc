#include "registry/shared/service/process.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"

namespace xds::service {
namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

void InitProcess(int argc, char** argv, const char* usage) {
  http::TuneMalloc(argv);
  absl::SetProgramUsageMessage(usage);
  absl::ParseCommandLine(argc, argv);
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
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  if (!port_file.empty()) {
    std::error_code ec;
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << http_server.port() << " " << grpc_port << "\n";
    std::filesystem::rename(tmp, port_file, ec);
  }
  while (!g_stop) pause();
  http_server.Shutdown();
  grpc_server.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace xds::service
