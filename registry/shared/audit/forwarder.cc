#include "registry/shared/audit/forwarder.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace xds::audit {
namespace {
constexpr size_t kBatch = 512;
constexpr absl::Duration kTimeout = absl::Seconds(10);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
}  // namespace

Forwarder::Forwarder(Trail* trail, std::shared_ptr<grpc::Channel> channel, std::string origin)
    : trail_(trail), stub_(AuditService::NewStub(std::move(channel))), origin_(std::move(origin)) {
  thread_ = std::thread([this] { Run(); });
}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Forwarder::Sleep(absl::Duration duration) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(duration), [this] { return stopping_; });
  return !stopping_;
}

void Forwarder::Run() {
  absl::StatusOr<int64_t> cursor = trail_->Cursor(kCursor);
  while (!cursor.ok()) {
    std::cerr << "audit forwarder: cannot read its cursor: " << cursor.status() << "\n";
    if (!Sleep(kMaxBackoff)) return;
    cursor = trail_->Cursor(kCursor);
  }
  int64_t delivered = *cursor;
  delivered_.store(delivered);
  absl::Duration backoff = absl::Milliseconds(100);
  bool failing = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    absl::StatusOr<std::vector<AuditEvent>> events = trail_->ReadAfter(delivered, kBatch, /*own_only=*/true);
    if (events.ok() && events->empty()) {
      // Caught up: wait for the next event (short waits, so Stop is prompt).
      trail_->WaitBeyond(delivered, absl::Milliseconds(200));
      continue;
    }
    grpc::Status sent;
    if (events.ok()) {
      AuditBatch batch;
      for (AuditEvent& event : *events) {
        event.set_origin(origin_);
        event.set_origin_seq(event.seq());
        *batch.add_events() = std::move(event);
      }
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(kTimeout));
      RecordAuditResponse response;
      sent = stub_->Record(&context, batch, &response);
      if (sent.ok()) {
        int64_t last = batch.events(batch.events_size() - 1).origin_seq();
        absl::Status saved = trail_->SetCursor(kCursor, last);
        if (saved.ok()) {
          delivered = last;
          delivered_.store(delivered);
          if (failing) std::cerr << "audit forwarder: the registry's audit store accepts events again\n";
          failing = false;
          backoff = absl::Milliseconds(100);
          continue;
        }
        sent = grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("cursor: ", saved.ToString()));
      }
    } else {
      sent = grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("reading the trail: ", events.status().ToString()));
    }
    if (!failing) {
      std::cerr << "audit forwarder: cannot deliver audit events to the registry (" << sent.error_message()
                << "); they wait in the local trail and follow when it is back\n";
    }
    failing = true;
    if (!Sleep(backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace xds::audit
