// The audit trail in SQLite, in the same database file as the store whose writes it
// records: its events go through that store's GroupCommitWriter, so an event committed
// inside the write's own item (AppendInTransaction) costs no fsync of its own, and events
// of read-only transactions share the group commits of everything else.
//
// Each row keeps the event as serialized and hash = SHA-256(previous row's hash || seq ||
// event bytes): changing, removing or reordering a row breaks every later hash, which
// Verify recomputes. The per-patient table (audit_patients) answers the access log: it keeps
// a copy of each event keyed by (patient, time), so that one patient's events lie together
// on disk and a cold access log reads a few pages, not one page per event; Verify checks
// that it has exactly one row per (event, patient), each a byte-equal copy.
#ifndef XDS_REGISTRY_SHARED_AUDIT_SQLITE_TRAIL_H_
#define XDS_REGISTRY_SHARED_AUDIT_SQLITE_TRAIL_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "registry/shared/audit/trail.h"
#include "registry/shared/sqlite/group_commit_writer.h"
#include "registry/shared/sqlite/reader_pool.h"

namespace xds::audit {

class SqliteTrail : public Trail {
 public:
  // Creates the audit tables when missing (on the writer connection, before its writer
  // starts).
  static absl::Status CreateSchema(sqlite::Connection& conn);

  // A trail on a store's own writer (which must outlive it), in that store's database file
  // `path`. The trail reads through connections of its own without a memory map: a cold
  // access log then reads the pages it needs, not the read-ahead of a mapping's faults.
  static absl::StatusOr<std::unique_ptr<SqliteTrail>> Attach(sqlite::GroupCommitWriter* writer,
                                                             const std::string& path);

  // A trail in a file of its own (tests, tools): owns its writer and readers.
  static absl::StatusOr<std::unique_ptr<SqliteTrail>> Open(const std::string& path);

  ~SqliteTrail() override;

  // Writer thread, inside an item of the store's batch: appends `event` (its seq set). A
  // non-OK status is a failure of the batch (the item must return it). Call Published with
  // the seq once the batch committed (the item's Finish), so that readers waiting in
  // WaitBeyond see it.
  absl::Status AppendInTransaction(sqlite::Connection& conn, AuditEvent& event);
  void Published(int64_t seq);

  // Trail.
  absl::StatusOr<RecordAuditResponse> Append(std::vector<AuditEvent>& events) override;
  absl::StatusOr<std::vector<AuditEvent>> ReadAfter(int64_t after, size_t limit, bool own_only) override;
  int64_t LastSeq() const override { return last_seq_.load(); }
  bool WaitBeyond(int64_t seq, absl::Duration timeout) const override;
  absl::StatusOr<int64_t> Cursor(const std::string& name) override;
  absl::Status SetCursor(const std::string& name, int64_t seq) override;
  absl::StatusOr<AuditLogResponse> ForPatient(const AuditLogRequest& request) override;
  absl::StatusOr<VerifyAuditResponse> Verify() override;

  // The first event kept records its predecessor's hash as the chain's anchor.
  absl::StatusOr<int64_t> RemoveBefore(int64_t before_ms) override;

  // The most events one ForPatient answer carries.
  static constexpr int kMaxLogEvents = 10000;

 private:
  SqliteTrail(sqlite::GroupCommitWriter* writer, sqlite::ReaderPool* readers, int64_t last_seq)
      : writer_(writer), readers_(readers), last_seq_(last_seq) {}
  // Appends one event as the writer thread; sets *duplicate for a forwarded event already
  // kept.
  absl::Status AppendOne(sqlite::Connection& conn, AuditEvent& event, bool* duplicate);

  std::unique_ptr<sqlite::GroupCommitWriter> owned_writer_;
  std::unique_ptr<sqlite::ReaderPool> owned_readers_;
  sqlite::GroupCommitWriter* writer_;
  sqlite::ReaderPool* readers_;

  std::atomic<int64_t> last_seq_;
  mutable std::mutex mu_;
  mutable std::condition_variable published_;
};

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_SQLITE_TRAIL_H_
