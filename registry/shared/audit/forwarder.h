// Delivers a service's own audit events to the region's audit store (the registry's
// AuditService) over the internal gRPC channel, in order, from a durable cursor: events
// recorded while the registry is unreachable wait in the local trail and follow when it is
// back. The registry keeps each (origin, origin seq) once, so a batch resent after a lost
// answer is harmless. Its own thread: a transaction never waits for it.
#ifndef XDS_REGISTRY_SHARED_AUDIT_FORWARDER_H_
#define XDS_REGISTRY_SHARED_AUDIT_FORWARDER_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "proto/audit.grpc.pb.h"
#include "registry/shared/audit/trail.h"

namespace xds::audit {

class Forwarder {
 public:
  // `origin` names this node over plain development transport (over mutual TLS the
  // registry takes its certificate's subject instead).
  Forwarder(Trail* trail, std::shared_ptr<grpc::Channel> channel, std::string origin);
  ~Forwarder();  // Stop()
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void Stop();

  // Events recorded here and not yet acknowledged by the registry.
  int64_t Backlog() const { return trail_->LastSeq() - delivered_.load(); }

  static constexpr char kCursor[] = "registry";

 private:
  void Run();
  bool Sleep(absl::Duration duration);  // false once stopping

  Trail* trail_;
  std::unique_ptr<AuditService::Stub> stub_;
  std::string origin_;
  std::atomic<int64_t> delivered_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_FORWARDER_H_
