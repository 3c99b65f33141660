// The audit trail in SQLite. A service keeps it in a database file of its own (Open): a
// commit into the store's file would empty the page caches and memory maps of the store's
// readers, and the trail commits once per query. An event that must commit with a store
// change (ITI-42's registration, a consent change) goes into the store's outbox inside the
// change's transaction (OutboxMover::Put, no fsync of its own) and is moved to the trail
// right after.
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
#include <thread>
#include <vector>

#include "registry/shared/audit/trail.h"
#include "registry/shared/sqlite/group_commit_writer.h"
#include "registry/shared/sqlite/reader_pool.h"

namespace xds::audit {

class OutboxMover;

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

  // Trail.
  absl::StatusOr<RecordAuditResponse> Append(std::vector<AuditEvent>& events) override;
  // Append where event i carries the dedup key keys[i]: an event whose key is kept already
  // is a duplicate. Keyed events stay the service's own (origin empty).
  absl::StatusOr<RecordAuditResponse> AppendKeyed(std::vector<AuditEvent>& events,
                                                  const std::vector<std::string>* keys);
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
  friend class OutboxMover;
  // Once a batch committed: readers waiting in WaitBeyond see events up to `seq`.
  void Published(int64_t seq);
  // Appends one event as the writer thread; sets *duplicate for a forwarded event or a
  // `local_key` already kept.
  absl::Status AppendOne(sqlite::Connection& conn, AuditEvent& event, const std::string* local_key, bool* duplicate);
  // Moves the outbox first, so that reads answering an administrator see every committed
  // change's event.
  void FlushOutbox();

  std::unique_ptr<sqlite::GroupCommitWriter> owned_writer_;
  std::unique_ptr<sqlite::ReaderPool> owned_readers_;
  sqlite::GroupCommitWriter* writer_;
  sqlite::ReaderPool* readers_;

  std::atomic<int64_t> last_seq_;
  mutable std::mutex mu_;
  mutable std::condition_variable published_;
  std::atomic<OutboxMover*> outbox_{nullptr};
};

// A store's audit outbox (table audit_outbox in the store's database) and the thread that
// moves its rows to the trail. An event is appended with the key "outbox:<id>" before its
// row is deleted, so a crash between the two leaves a row that the next move recognises.
class OutboxMover {
 public:
  static absl::Status CreateSchema(sqlite::Connection& conn);
  // Writer thread, inside the store's item: keeps `event` for the trail, committing with
  // the item.
  static absl::Status Put(sqlite::Connection& conn, const AuditEvent& event);

  // Moves outbox rows of the store at `store_path` to `trail`, deleting them through
  // `store_writer` (both must outlive the mover). With `run`, a thread does so now (what a
  // crash left) and after every Notify; without it (tests) rows stay until MoveAll.
  static absl::StatusOr<std::unique_ptr<OutboxMover>> Start(sqlite::GroupCommitWriter* store_writer,
                                                            const std::string& store_path, SqliteTrail* trail,
                                                            bool run = true);
  ~OutboxMover();

  // A batch that put rows has committed.
  void Notify();
  // Moves every row there now; returns how many were appended (not duplicates).
  absl::StatusOr<int64_t> MoveAll();

 private:
  OutboxMover(sqlite::GroupCommitWriter* writer, std::unique_ptr<sqlite::Connection> reader, SqliteTrail* trail)
      : writer_(writer), reader_(std::move(reader)), trail_(trail) {}
  void Loop();

  sqlite::GroupCommitWriter* writer_;
  std::mutex move_mu_;  // one move at a time: the reader connection is not shared
  std::unique_ptr<sqlite::Connection> reader_;
  SqliteTrail* trail_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool pending_ = true;  // drain what a crash left
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace xds::audit

#endif  // XDS_REGISTRY_SHARED_AUDIT_SQLITE_TRAIL_H_
