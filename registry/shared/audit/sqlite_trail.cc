#include "registry/shared/audit/sqlite_trail.h"

#include <openssl/evp.h>

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace xds::audit {
namespace {

using sqlite::Connection;
using sqlite::GroupCommitWriter;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  origin TEXT NOT NULL,
  origin_seq INTEGER NOT NULL,
  event BLOB NOT NULL,
  hash BLOB NOT NULL,
  local_key TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS audit_events_origin ON audit_events(origin, origin_seq) WHERE origin <> '';
CREATE TABLE IF NOT EXISTS audit_patients (
  patient_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  event BLOB NOT NULL,
  PRIMARY KEY (patient_id, time_ms, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_cursors (
  name TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  first_seq INTEGER NOT NULL,
  prev_hash BLOB NOT NULL
);
)sql";

// Trails made before the outbox lack its dedup key.
constexpr char kLocalKey[] = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS audit_events_local_key ON audit_events(local_key) WHERE local_key IS NOT NULL;
)sql";

// In the store's own database: AUTOINCREMENT, so that an id (and its dedup key) is never
// reused once its row was moved and deleted.
constexpr char kOutboxSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event BLOB NOT NULL
);
)sql";

constexpr size_t kHashSize = 32;
const std::string& GenesisHash() {
  static const std::string* const kZero = new std::string(kHashSize, '\0');
  return *kZero;
}

// SHA-256(prev || seq as 8 bytes big-endian || event).
std::string ChainHash(absl::string_view prev, int64_t seq, absl::string_view event) {
  unsigned char seq_bytes[8];
  for (int i = 0; i < 8; ++i) seq_bytes[i] = static_cast<unsigned char>(static_cast<uint64_t>(seq) >> (56 - 8 * i));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, prev.data(), prev.size()) == 1 && EVP_DigestUpdate(ctx, seq_bytes, 8) == 1 &&
            EVP_DigestUpdate(ctx, event.data(), event.size()) == 1 && EVP_DigestFinal_ex(ctx, digest, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return std::string();  // never equal to a stored hash: Verify reports it
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Hex(absl::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// One batch of events appended as one writer item.
class AppendItem : public GroupCommitWriter::Item {
 public:
  using AppendFn = std::function<absl::Status(Connection&, AuditEvent&, const std::string*, bool*)>;
  AppendItem(std::vector<AuditEvent>& events, const std::vector<std::string>* keys, AppendFn append)
      : events_(events), keys_(keys), append_(std::move(append)) {}
  RecordAuditResponse response;
  absl::Status status;
  int64_t last_seq = 0;

  absl::StatusOr<GroupCommitWriter::Outcome> Apply(Connection& conn) override {
    response.Clear();
    for (size_t i = 0; i < events_.size(); ++i) {
      AuditEvent& event = events_[i];
      bool duplicate = false;
      if (absl::Status s = append_(conn, event, keys_ != nullptr ? &(*keys_)[i] : nullptr, &duplicate); !s.ok()) {
        return s;
      }
      if (duplicate) {
        response.set_duplicates(response.duplicates() + 1);
      } else {
        response.set_accepted(response.accepted() + 1);
        last_seq = event.seq();
      }
    }
    return GroupCommitWriter::Outcome::kKeep;
  }
  void Finish(const absl::Status& batch_status) override { status = batch_status; }

 private:
  std::vector<AuditEvent>& events_;
  const std::vector<std::string>* keys_;
  AppendFn append_;
};

class SetCursorItem : public GroupCommitWriter::Item {
 public:
  SetCursorItem(const std::string& name, int64_t seq) : name_(name), seq_(seq) {}
  absl::Status status;
  absl::StatusOr<GroupCommitWriter::Outcome> Apply(Connection& conn) override {
    absl::StatusOr<sqlite::Statement> stmt = conn.Prepare(
        "INSERT INTO audit_cursors(name, seq) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq");
    if (!stmt.ok()) return stmt.status();
    if (absl::Status s = stmt->BindAll({name_, seq_}); !s.ok()) return s;
    if (absl::Status s = stmt->Run(); !s.ok()) return s;
    return GroupCommitWriter::Outcome::kKeep;
  }
  void Finish(const absl::Status& batch_status) override { status = batch_status; }

 private:
  const std::string& name_;
  int64_t seq_;
};

class RemoveBeforeItem : public GroupCommitWriter::Item {
 public:
  explicit RemoveBeforeItem(int64_t before_ms) : before_ms_(before_ms) {}
  absl::Status status;
  int64_t removed = 0;
  absl::StatusOr<GroupCommitWriter::Outcome> Apply(Connection& conn) override {
    // Forwarded events arrive late, so time is only roughly in seq order: the prefix
    // removed ends before the first event that is not older than the limit.
    absl::StatusOr<int64_t> keep_from =
        conn.QueryInt("SELECT COALESCE(MIN(seq), 0) FROM audit_events WHERE time_ms >= ?", {before_ms_});
    if (!keep_from.ok()) return keep_from.status();
    int64_t first = *keep_from;
    if (first == 0) {
      absl::StatusOr<int64_t> last = conn.QueryInt("SELECT COALESCE(MAX(seq), 0) FROM audit_events");
      if (!last.ok()) return last.status();
      first = *last;  // keep at least the newest event: it carries the chain forward
    }
    absl::StatusOr<sqlite::Statement> prev = conn.Prepare("SELECT hash FROM audit_events WHERE seq = ?");
    if (!prev.ok()) return prev.status();
    if (absl::Status s = prev->BindAll({first - 1}); !s.ok()) return s;
    absl::StatusOr<bool> row = prev->Step();
    if (!row.ok()) return row.status();
    if (!*row) return GroupCommitWriter::Outcome::kKeep;  // nothing older is kept
    std::string prev_hash(prev->ColumnBlob(0));
    absl::StatusOr<sqlite::Statement> anchor = conn.Prepare(
        "INSERT INTO audit_anchor(id, first_seq, prev_hash) VALUES(1, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "first_seq = excluded.first_seq, prev_hash = excluded.prev_hash");
    if (!anchor.ok()) return anchor.status();
    if (absl::Status s = anchor->Bind(1, first); !s.ok()) return s;
    if (absl::Status s = anchor->BindBlob(2, prev_hash); !s.ok()) return s;
    if (absl::Status s = anchor->Run(); !s.ok()) return s;
    for (const char* sql : {"DELETE FROM audit_patients WHERE seq < ?", "DELETE FROM audit_events WHERE seq < ?"}) {
      absl::StatusOr<sqlite::Statement> del = conn.Prepare(sql);
      if (!del.ok()) return del.status();
      if (absl::Status s = del->BindAll({first}); !s.ok()) return s;
      if (absl::Status s = del->Run(); !s.ok()) return s;
      removed = conn.Changes();
    }
    return GroupCommitWriter::Outcome::kKeep;
  }
  void Finish(const absl::Status& batch_status) override { status = batch_status; }

 private:
  int64_t before_ms_;
};

absl::StatusOr<int64_t> ReadLastSeq(Connection& conn) {
  return conn.QueryInt("SELECT COALESCE(MAX(seq), 0) FROM audit_events");
}

absl::StatusOr<AuditEvent> ParseRow(absl::string_view blob, int64_t seq) {
  AuditEvent event;
  if (!event.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::DataLossError(absl::StrCat("audit event ", seq, " does not parse"));
  }
  return event;
}

}  // namespace

absl::Status SqliteTrail::CreateSchema(Connection& conn) {
  if (absl::Status s = conn.Exec(kSchema); !s.ok()) return s;
  absl::StatusOr<int64_t> has_key =
      conn.QueryInt("SELECT COUNT(*) FROM pragma_table_info('audit_events') WHERE name = 'local_key'");
  if (!has_key.ok()) return has_key.status();
  if (*has_key == 0) {
    if (absl::Status s = conn.Exec("ALTER TABLE audit_events ADD COLUMN local_key TEXT"); !s.ok()) return s;
  }
  return conn.Exec(kLocalKey);
}

absl::StatusOr<std::unique_ptr<SqliteTrail>> SqliteTrail::Attach(GroupCommitWriter* writer, const std::string& path) {
  absl::StatusOr<std::unique_ptr<sqlite::ReaderPool>> readers = sqlite::ReaderPool::Open(
      path, 2, /*read_only=*/true, "PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 0; PRAGMA cache_size = -16384");
  if (!readers.ok()) return readers.status();
  absl::StatusOr<int64_t> last;
  {
    sqlite::ReaderPool::Lease lease(**readers);
    last = ReadLastSeq(lease.conn());
  }
  if (!last.ok()) return last.status();
  auto trail = std::unique_ptr<SqliteTrail>(new SqliteTrail(writer, readers->get(), *last));
  trail->owned_readers_ = *std::move(readers);
  return trail;
}

absl::StatusOr<std::unique_ptr<SqliteTrail>> SqliteTrail::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(path, /*read_only=*/false);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = (*conn)->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = "
                                     "5000");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CreateSchema(**conn); !s.ok()) return s;
  GroupCommitWriter::Options options;
  options.name = "audit trail";
  auto writer = std::make_unique<GroupCommitWriter>(*std::move(conn), options);
  absl::StatusOr<std::unique_ptr<SqliteTrail>> trail = Attach(writer.get(), path);
  if (!trail.ok()) return trail.status();
  (*trail)->owned_writer_ = std::move(writer);
  return trail;
}

SqliteTrail::~SqliteTrail() {
  if (owned_writer_ != nullptr) owned_writer_->Shutdown();
}

absl::Status SqliteTrail::AppendOne(Connection& conn, AuditEvent& event, const std::string* local_key,
                                    bool* duplicate) {
  *duplicate = false;
  if (local_key != nullptr) {
    // "IS NOT NULL" for the partial index, as for origin below.
    absl::StatusOr<int64_t> seen =
        conn.QueryInt("SELECT COUNT(*) FROM audit_events WHERE local_key = ? AND local_key IS NOT NULL", {*local_key});
    if (!seen.ok()) return seen.status();
    if (*seen > 0) {
      *duplicate = true;
      return absl::OkStatus();
    }
  }
  if (!event.origin().empty()) {
    // "origin <> ''" repeats the partial index's condition: SQLite uses a partial index
    // only when the query implies its WHERE, and a bound "origin = ?" does not (without it
    // every forwarded event scanned the whole trail).
    absl::StatusOr<int64_t> seen =
        conn.QueryInt("SELECT COUNT(*) FROM audit_events WHERE origin = ? AND origin <> '' AND origin_seq = ?",
                      {event.origin(), event.origin_seq()});
    if (!seen.ok()) return seen.status();
    if (*seen > 0) {
      *duplicate = true;
      return absl::OkStatus();
    }
  }
  // The head is read inside the transaction: a rolled-back batch leaves nothing to undo.
  absl::StatusOr<sqlite::Statement> head = conn.Prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  if (!head.ok()) return head.status();
  absl::StatusOr<bool> row = head->Step();
  if (!row.ok()) return row.status();
  int64_t seq = 1;
  std::string prev_hash = GenesisHash();
  if (*row) {
    seq = head->ColumnInt64(0) + 1;
    prev_hash = std::string(head->ColumnBlob(1));
  } else {
    absl::StatusOr<sqlite::Statement> anchor = conn.Prepare("SELECT first_seq, prev_hash FROM audit_anchor");
    if (!anchor.ok()) return anchor.status();
    absl::StatusOr<bool> anchored = anchor->Step();
    if (!anchored.ok()) return anchored.status();
    if (*anchored) {
      seq = anchor->ColumnInt64(0);
      prev_hash = std::string(anchor->ColumnBlob(1));
    }
  }
  event.set_seq(seq);
  // One index row per patient: Verify counts them against the events.
  std::vector<std::string> patients(event.patient_ids().begin(), event.patient_ids().end());
  std::sort(patients.begin(), patients.end());
  patients.erase(std::unique(patients.begin(), patients.end()), patients.end());
  if (static_cast<int>(patients.size()) != event.patient_ids_size()) {
    event.clear_patient_ids();
    for (std::string& id : patients) event.add_patient_ids(std::move(id));
  }
  std::string bytes;
  if (!event.SerializeToString(&bytes)) return absl::InternalError("audit event does not serialize");
  std::string hash = ChainHash(prev_hash, seq, bytes);

  absl::StatusOr<sqlite::Statement> insert = conn.Prepare(
      "INSERT INTO audit_events(seq, time_ms, origin, origin_seq, event, hash, local_key) "
      "VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.status();
  if (absl::Status s = insert->BindAll({seq, event.time_ms(), event.origin(), event.origin_seq()}); !s.ok()) return s;
  if (absl::Status s = insert->BindBlob(5, bytes); !s.ok()) return s;
  if (absl::Status s = insert->BindBlob(6, hash); !s.ok()) return s;
  if (local_key != nullptr) {
    if (absl::Status s = insert->Bind(7, *local_key); !s.ok()) return s;
  }
  if (absl::Status s = insert->Run(); !s.ok()) return s;
  for (const std::string& id : event.patient_ids()) {
    // A statement per row: the cache hands back the same prepared one, reset.
    absl::StatusOr<sqlite::Statement> patient =
        conn.Prepare("INSERT INTO audit_patients(patient_id, time_ms, seq, event) VALUES(?, ?, ?, ?)");
    if (!patient.ok()) return patient.status();
    if (absl::Status s = patient->BindAll({id, event.time_ms(), seq}); !s.ok()) return s;
    if (absl::Status s = patient->BindBlob(4, bytes); !s.ok()) return s;
    if (absl::Status s = patient->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void SqliteTrail::Published(int64_t seq) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t last = last_seq_.load();
    if (seq <= last) return;
    last_seq_.store(seq);
  }
  published_.notify_all();
}

absl::StatusOr<RecordAuditResponse> SqliteTrail::Append(std::vector<AuditEvent>& events) {
  return AppendKeyed(events, nullptr);
}

absl::StatusOr<RecordAuditResponse> SqliteTrail::AppendKeyed(std::vector<AuditEvent>& events,
                                                             const std::vector<std::string>* keys) {
  if (events.empty()) return RecordAuditResponse();
  AppendItem item(events, keys, [this](Connection& conn, AuditEvent& event, const std::string* key, bool* duplicate) {
    return AppendOne(conn, event, key, duplicate);
  });
  if (absl::Status s = writer_->Run(item); !s.ok()) return s;
  if (!item.status.ok()) return item.status;
  Published(item.last_seq);
  return item.response;
}

bool SqliteTrail::WaitBeyond(int64_t seq, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return published_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return last_seq_.load() > seq; });
}

absl::StatusOr<std::vector<AuditEvent>> SqliteTrail::ReadAfter(int64_t after, size_t limit, bool own_only) {
  sqlite::ReaderPool::Lease lease(*readers_);
  absl::StatusOr<sqlite::Statement> stmt =
      lease.conn().Prepare(own_only ? "SELECT seq, event FROM audit_events WHERE seq > ? AND origin = '' "
                                      "ORDER BY seq LIMIT ?"
                                    : "SELECT seq, event FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->BindAll({after, static_cast<int64_t>(limit)}); !s.ok()) return s;
  std::vector<AuditEvent> events;
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    absl::StatusOr<AuditEvent> event = ParseRow(stmt->ColumnBlob(1), stmt->ColumnInt64(0));
    if (!event.ok()) return event.status();
    events.push_back(*std::move(event));
  }
  return events;
}

absl::StatusOr<int64_t> SqliteTrail::Cursor(const std::string& name) {
  sqlite::ReaderPool::Lease lease(*readers_);
  return lease.conn().QueryInt("SELECT COALESCE(MAX(seq), 0) FROM audit_cursors WHERE name = ?", {name});
}

absl::Status SqliteTrail::SetCursor(const std::string& name, int64_t seq) {
  SetCursorItem item(name, seq);
  if (absl::Status s = writer_->Run(item); !s.ok()) return s;
  return item.status;
}

void SqliteTrail::FlushOutbox() {
  OutboxMover* outbox = outbox_.load();
  if (outbox == nullptr) return;
  // A failure leaves the rows for the thread; the read goes on with what is kept.
  if (absl::StatusOr<int64_t> moved = outbox->MoveAll(); !moved.ok()) {
    std::cerr << "audit outbox: " << moved.status() << "\n";
  }
}

absl::StatusOr<AuditLogResponse> SqliteTrail::ForPatient(const AuditLogRequest& request) {
  FlushOutbox();
  int limit = request.limit() <= 0 || request.limit() > kMaxLogEvents ? kMaxLogEvents : request.limit();
  int64_t to = request.to_ms() <= 0 ? INT64_MAX : request.to_ms();
  sqlite::ReaderPool::Lease lease(*readers_);
  absl::StatusOr<sqlite::Statement> stmt = lease.conn().Prepare(
      "SELECT seq, event FROM audit_patients WHERE patient_id = ? AND time_ms >= ? AND time_ms < ? "
      "ORDER BY time_ms, seq LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->BindAll({request.patient_id(), request.from_ms(), to, static_cast<int64_t>(limit) + 1});
      !s.ok()) {
    return s;
  }
  AuditLogResponse response;
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (response.events_size() == limit) {
      response.set_truncated(true);
      break;
    }
    absl::StatusOr<AuditEvent> event = ParseRow(stmt->ColumnBlob(1), stmt->ColumnInt64(0));
    if (!event.ok()) return event.status();
    *response.add_events() = *std::move(event);
  }
  return response;
}

absl::StatusOr<VerifyAuditResponse> SqliteTrail::Verify() {
  FlushOutbox();
  sqlite::ReaderPool::Lease lease(*readers_);
  Connection& conn = lease.conn();
  // One read transaction: the chain and the index are checked in one consistent state.
  if (absl::Status s = conn.Exec("BEGIN"); !s.ok()) return s;
  VerifyAuditResponse response;
  auto finish = [&](absl::Status status) -> absl::StatusOr<VerifyAuditResponse> {
    (void)conn.Exec("COMMIT");
    if (!status.ok()) return status;
    response.set_intact(response.problem().empty());
    return response;
  };
  std::string prev_hash = GenesisHash();
  int64_t expected_seq = 1;
  {
    absl::StatusOr<sqlite::Statement> anchor = conn.Prepare("SELECT first_seq, prev_hash FROM audit_anchor");
    if (!anchor.ok()) return finish(anchor.status());
    absl::StatusOr<bool> anchored = anchor->Step();
    if (!anchored.ok()) return finish(anchored.status());
    if (*anchored) {
      expected_seq = anchor->ColumnInt64(0);
      prev_hash = std::string(anchor->ColumnBlob(1));
    }
  }
  response.set_first_seq(expected_seq);
  int64_t patient_refs = 0;
  absl::StatusOr<sqlite::Statement> rows = conn.Prepare("SELECT seq, event, hash FROM audit_events ORDER BY seq");
  if (!rows.ok()) return finish(rows.status());
  for (;;) {
    absl::StatusOr<bool> row = rows->Step();
    if (!row.ok()) return finish(row.status());
    if (!*row) break;
    int64_t seq = rows->ColumnInt64(0);
    absl::string_view bytes = rows->ColumnBlob(1);
    absl::string_view hash = rows->ColumnBlob(2);
    if (seq != expected_seq) {
      response.set_problem(absl::StrCat("event ", expected_seq, " is missing (the next one kept is ", seq, ")"));
      break;
    }
    AuditEvent event;
    if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || event.seq() != seq) {
      response.set_problem(absl::StrCat("event ", seq, " was altered: its content is not the event recorded there"));
      break;
    }
    std::string expected = ChainHash(prev_hash, seq, bytes);
    if (expected != hash) {
      response.set_problem(absl::StrCat("event ", seq, " was altered, removed or reordered: its hash ", Hex(hash),
                                        " should be ", Hex(expected)));
      break;
    }
    patient_refs += event.patient_ids_size();
    prev_hash = std::string(hash);
    response.set_last_seq(seq);
    response.set_events(response.events() + 1);
    ++expected_seq;
  }
  if (response.problem().empty()) {
    // Patient ids are unique within an event (AppendOne), so the index has one row each.
    absl::StatusOr<int64_t> indexed = conn.QueryInt("SELECT COUNT(*) FROM audit_patients");
    if (!indexed.ok()) return finish(indexed.status());
    if (*indexed != patient_refs) {
      response.set_problem(absl::StrCat("the per-patient index has ", *indexed, " entries where the events name ",
                                        patient_refs, " patients: entries were removed or added"));
    } else {
      // Its copies are what the access log shows: each must be its event's bytes.
      absl::StatusOr<int64_t> differing = conn.QueryInt(
          "SELECT COUNT(*) FROM audit_patients p LEFT JOIN audit_events e ON e.seq = p.seq "
          "WHERE e.seq IS NULL OR e.event <> p.event");
      if (!differing.ok()) return finish(differing.status());
      if (*differing > 0) {
        response.set_problem(absl::StrCat(*differing, " entries of the per-patient index differ from their events"));
      }
    }
  }
  return finish(absl::OkStatus());
}

absl::StatusOr<int64_t> SqliteTrail::RemoveBefore(int64_t before_ms) {
  RemoveBeforeItem item(before_ms);
  if (absl::Status s = writer_->Run(item); !s.ok()) return s;
  if (!item.status.ok()) return item.status;
  return item.removed;
}

namespace {

// Deletes the moved rows through the store's writer: it joins the store's next group.
class DeleteMovedItem : public GroupCommitWriter::Item {
 public:
  explicit DeleteMovedItem(int64_t through) : through_(through) {}
  absl::Status status;
  absl::StatusOr<GroupCommitWriter::Outcome> Apply(Connection& conn) override {
    absl::StatusOr<sqlite::Statement> del = conn.Prepare("DELETE FROM audit_outbox WHERE id <= ?");
    if (!del.ok()) return del.status();
    if (absl::Status s = del->BindAll({through_}); !s.ok()) return s;
    if (absl::Status s = del->Run(); !s.ok()) return s;
    return GroupCommitWriter::Outcome::kKeep;
  }
  void Finish(const absl::Status& batch_status) override { status = batch_status; }

 private:
  int64_t through_;
};

constexpr int64_t kMoveBatch = 256;

}  // namespace

absl::Status OutboxMover::CreateSchema(Connection& conn) { return conn.Exec(kOutboxSchema); }

absl::Status OutboxMover::Put(Connection& conn, const AuditEvent& event) {
  std::string bytes;
  if (!event.SerializeToString(&bytes)) return absl::InternalError("audit event does not serialize");
  absl::StatusOr<sqlite::Statement> insert = conn.Prepare("INSERT INTO audit_outbox(event) VALUES(?)");
  if (!insert.ok()) return insert.status();
  if (absl::Status s = insert->BindBlob(1, bytes); !s.ok()) return s;
  return insert->Run();
}

absl::StatusOr<std::unique_ptr<OutboxMover>> OutboxMover::Start(GroupCommitWriter* store_writer,
                                                                const std::string& store_path, SqliteTrail* trail,
                                                                bool run) {
  absl::StatusOr<std::unique_ptr<Connection>> reader = Connection::Open(store_path, /*read_only=*/true);
  if (!reader.ok()) return reader.status();
  // No memory map: the outbox is a few pages, read once per move.
  if (absl::Status s = (*reader)->Exec("PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 0; PRAGMA cache_size = -1024");
      !s.ok()) {
    return s;
  }
  auto mover = std::unique_ptr<OutboxMover>(new OutboxMover(store_writer, *std::move(reader), trail));
  trail->outbox_.store(mover.get());
  if (run) mover->thread_ = std::thread([m = mover.get()] { m->Loop(); });
  return mover;
}

OutboxMover::~OutboxMover() {
  trail_->outbox_.store(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxMover::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  wake_.notify_all();
}

void OutboxMover::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (!pending_) {
      wake_.wait(lock, [this] { return stop_ || pending_; });
      continue;
    }
    pending_ = false;
    lock.unlock();
    absl::StatusOr<int64_t> moved = MoveAll();
    lock.lock();
    if (!moved.ok()) {
      std::cerr << "audit outbox: " << moved.status() << "; retrying in 1 s\n";
      pending_ = true;
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    }
  }
}

absl::StatusOr<int64_t> OutboxMover::MoveAll() {
  std::lock_guard<std::mutex> lock(move_mu_);
  int64_t appended = 0;
  for (;;) {
    std::vector<AuditEvent> events;
    std::vector<std::string> keys;
    int64_t through = 0;
    {
      absl::StatusOr<sqlite::Statement> rows =
          reader_->Prepare("SELECT id, event FROM audit_outbox ORDER BY id LIMIT ?");
      if (!rows.ok()) return rows.status();
      if (absl::Status s = rows->BindAll({kMoveBatch}); !s.ok()) return s;
      for (;;) {
        absl::StatusOr<bool> row = rows->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        through = rows->ColumnInt64(0);
        absl::StatusOr<AuditEvent> event = ParseRow(rows->ColumnBlob(1), through);
        if (!event.ok()) return event.status();
        events.push_back(*std::move(event));
        keys.push_back(absl::StrCat("outbox:", through));
      }
    }
    if (events.empty()) return appended;
    absl::StatusOr<RecordAuditResponse> recorded = trail_->AppendKeyed(events, &keys);
    if (!recorded.ok()) return recorded.status();
    appended += recorded->accepted();
    DeleteMovedItem del(through);
    if (absl::Status s = writer_->Run(del); !s.ok()) return s;
    if (!del.status.ok()) return del.status;
    if (static_cast<int64_t>(events.size()) < kMoveBatch) return appended;
  }
}

}  // namespace xds::audit
