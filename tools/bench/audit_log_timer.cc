// Times the registry's AuditService over gRPC (plain transport, loopback) the way an
// administrator's xdsctl calls it, without xdsctl's process start and output: CALLS calls
// of Log for one patient (the first, cold, reported on its own; p50/p99 of the others), then
// optionally one Verify of the whole chain.
//
// usage: audit_log_timer HOST:PORT PATIENT_ID CALLS [verify]
// Prints: LOG events=N truncated=0|1 first_ms=X p50_ms=Y p99_ms=Z max_ms=W calls=C
//         VERIFY intact=1 events=N seconds=S
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/audit.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: audit_log_timer HOST:PORT PATIENT_ID CALLS [verify]\n");
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  // Connected first, so that the first call's time is the registry's, not the connection's.
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "audit_log_timer: cannot connect to %s\n", argv[1]);
    return 1;
  }
  auto stub = xds::AuditService::NewStub(channel);
  xds::AuditLogRequest request;
  request.set_patient_id(argv[2]);
  const int calls = std::max(1, std::atoi(argv[3]));
  using Clock = std::chrono::steady_clock;
  std::vector<double> ms;
  double first_ms = 0;
  int events = 0;
  bool truncated = false;
  for (int i = 0; i < calls + 1; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    xds::AuditLogResponse response;
    Clock::time_point t0 = Clock::now();
    grpc::Status status = stub->Log(&context, request, &response);
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!status.ok()) {
      std::fprintf(stderr, "audit_log_timer: Log: %s\n", status.error_message().c_str());
      return 1;
    }
    events = response.events_size();
    truncated = response.truncated();
    if (i == 0) {
      first_ms = elapsed;
    } else {
      ms.push_back(elapsed);
    }
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p / 100.0 * ms.size()))]; };
  std::printf("LOG events=%d truncated=%d first_ms=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f calls=%d\n", events,
              truncated ? 1 : 0, first_ms, pct(50), pct(99), ms.back(), calls);
  if (argc > 4 && std::string(argv[4]) == "verify") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
    xds::VerifyAuditResponse response;
    Clock::time_point t0 = Clock::now();
    grpc::Status status = stub->Verify(&context, xds::VerifyAuditRequest(), &response);
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!status.ok()) {
      std::fprintf(stderr, "audit_log_timer: Verify: %s\n", status.error_message().c_str());
      return 1;
    }
    std::printf("VERIFY intact=%d events=%lld seconds=%.2f%s%s\n", response.intact() ? 1 : 0,
                static_cast<long long>(response.events()), seconds,
                response.problem().empty() ? "" : " problem=", response.problem().c_str());
  }
  return 0;
}
