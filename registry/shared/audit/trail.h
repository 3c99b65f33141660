// A service's audit trail: an append-only, hash-chained sequence of AuditEvents. Each
// service keeps one in a database file next to its store (DATA_DIR/audit.sqlite); an event
// that must commit with a store write goes through the store's outbox (sqlite_trail.h).
// It is also the spool the ATNA senders and the repository's forwarder read from, each
// behind its own durable cursor.
#ifndef XDS_REGISTRY_SHARED_AUDIT_TRAIL_H_
#define XDS_REGISTRY_SHARED_AUDIT_TRAIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/audit.pb.h"

namespace xds::audit {

class Trail {
 public:
  virtual ~Trail() = default;

  // Appends `events` in order and returns once they are committed (durable); sets each
  // one's seq. Forwarded events (origin set) already recorded are skipped and counted.
  virtual absl::StatusOr<RecordAuditResponse> Append(std::vector<AuditEvent>& events) = 0;

  // Up to `limit` events with seq > `after`, in seq order. `own_only` leaves out events
  // forwarded from other nodes (an ATNA sender sends only its own service's events).
  virtual absl::StatusOr<std::vector<AuditEvent>> ReadAfter(int64_t after, size_t limit, bool own_only) = 0;

  // The highest seq appended so far (0 for an empty trail).
  virtual int64_t LastSeq() const = 0;
  // Blocks until LastSeq() > `seq` or `timeout` passes; true in the first case.
  virtual bool WaitBeyond(int64_t seq, absl::Duration timeout) const = 0;

  // A reader's durable position (0 when never set).
  virtual absl::StatusOr<int64_t> Cursor(const std::string& name) = 0;
  virtual absl::Status SetCursor(const std::string& name, int64_t seq) = 0;

  // One patient's events, oldest first (AuditLogRequest's window and limit).
  virtual absl::StatusOr<AuditLogResponse> ForPatient(const AuditLogRequest& request) = 0;

  // Recomputes the whole chain.
  virtual absl::StatusOr<VerifyAuditResponse> Verify() = 0;

  // Retention: removes the events recorded before `before_ms`, keeping the chain verifiable
  // from the first event kept. Returns how many were removed.
  virtual absl::StatusOr<int64_t> RemoveBefore(int64_t before_ms) = 0;
};

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_TRAIL_H_
