#include "repository/document_store.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "registry/shared/audit/sqlite_trail.h"
#include "registry/shared/sqlite/group_commit_writer.h"
#include "registry/shared/sqlite/reader_pool.h"
#include "registry/shared/sqlite/sqlite_connection.h"

namespace xds {
namespace {

namespace fs = std::filesystem;

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS documents ("
    "  unique_id TEXT PRIMARY KEY,"
    "  hash TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  mime_type TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'committed')),"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS documents_by_hash ON documents(hash);";

constexpr char kTempPrefix[] = ".tmp-";

absl::Status ErrnoStatus(const std::string& what, const std::string& path) {
  int e = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(e));
  if (e == ENOSPC || e == EDQUOT || e == EIO) return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

absl::Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync directory", dir);
  return absl::OkStatus();
}

// Writes `content` to a new file and fsyncs it; removes the file again on failure.
absl::Status WriteFileDurably(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus("create", path);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status status = ErrnoStatus("write", path);
      ::close(fd);
      ::unlink(path.c_str());
      return status;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status status = ErrnoStatus("fsync", path);
    ::close(fd);
    ::unlink(path.c_str());
    return status;
  }
  ::close(fd);
  return absl::OkStatus();
}

bool IsHexSha1(std::string_view name) {
  if (name.size() != 40) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string RandomSuffix() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat(getpid(), "-", rng());
}

class MappedContent : public DocumentContent {
 public:
  MappedContent(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~MappedContent() override {
    if (addr_ != nullptr) ::munmap(addr_, size_);
  }
  std::string_view data() const override {
    return addr_ == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(addr_), size_);
  }

 private:
  void* addr_;
  size_t size_;
};

using sqlite::Connection;
using sqlite::SqlValue;
using Outcome = sqlite::GroupCommitWriter::Outcome;

constexpr char kSelectDocument[] =
    "SELECT unique_id, hash, size, mime_type, state, created, patient_id, class_code FROM documents ";

// Index failures are Unavailable whatever SQLite said (a constraint violation must not
// read as AlreadyExists, which Stage reserves for XDSNonIdenticalHash/Size).
absl::Status IndexError(absl::string_view what, const absl::Status& status) {
  return absl::UnavailableError(absl::StrCat("document index: ", what, ": ", status.message()));
}

// A prepared statement with `params` bound, or the index error.
absl::StatusOr<sqlite::Statement> Query(Connection& conn, const std::string& sql, const std::vector<SqlValue>& params,
                                        absl::string_view what) {
  absl::StatusOr<sqlite::Statement> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return IndexError(what, stmt.status());
  if (absl::Status s = stmt->BindAll(params); !s.ok()) return IndexError(what, s);
  return stmt;
}

// Runs a statement that returns no rows.
absl::Status Execute(Connection& conn, const std::string& sql, const std::vector<SqlValue>& params,
                     absl::string_view what) {
  absl::StatusOr<sqlite::Statement> stmt = Query(conn, sql, params, what);
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->Run(); !s.ok()) return IndexError(what, s);
  return absl::OkStatus();
}

StoredDocument RowOf(const sqlite::Statement& s) {
  StoredDocument d;
  d.unique_id = s.ColumnText(0);
  d.hash = s.ColumnText(1);
  d.size = s.ColumnInt64(2);
  d.mime_type = s.ColumnText(3);
  d.committed = s.ColumnText(4) == "committed";
  d.created = s.ColumnInt64(5);
  d.patient_id = s.ColumnText(6);
  d.class_code = s.ColumnText(7);
  return d;
}

// Every row `sql` (kSelectDocument ...) returns.
absl::StatusOr<std::vector<StoredDocument>> SelectDocuments(Connection& conn, const std::string& sql,
                                                            const std::vector<SqlValue>& params,
                                                            absl::string_view what) {
  absl::StatusOr<sqlite::Statement> select = Query(conn, sql, params, what);
  if (!select.ok()) return select.status();
  std::vector<StoredDocument> out;
  for (;;) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return IndexError(what, row.status());
    if (!*row) return out;
    out.push_back(RowOf(*select));
  }
}

absl::StatusOr<std::optional<StoredDocument>> FindOn(Connection& conn, const std::string& unique_id) {
  auto found = SelectDocuments(conn, absl::StrCat(kSelectDocument, "WHERE unique_id = ?"), {unique_id}, "find");
  if (!found.ok()) return found.status();
  if (found->empty()) return std::optional<StoredDocument>();
  return std::optional<StoredDocument>(std::move(found->front()));
}

absl::StatusOr<StageResult> Conflict(const StoredDocument& existing, StageResult result) {
  if (!existing.committed) {
    return absl::FailedPreconditionError(
        absl::StrCat("document ", existing.unique_id, " is part of another submission still in progress"));
  }
  if (existing.hash != result.hash) {
    return absl::AlreadyExistsError(
        absl::StrCat("hash: document ", existing.unique_id, " is already stored with hash ", existing.hash));
  }
  if (existing.size != result.size) {
    return absl::AlreadyExistsError(
        absl::StrCat("size: document ", existing.unique_id, " is already stored with size ", existing.size));
  }
  result.already_committed = true;
  return result;
}

// One queued write (a GroupCommitWriter item). Lives on the caller's stack.
struct Op : sqlite::GroupCommitWriter::Item {
  enum Kind { kStage, kCommit, kAbort, kRemove } kind;
  // kStage
  std::string unique_id, mime_type, patient_id, class_code;
  StageResult stage;
  bool placed_file = false;  // this Stage created the content file
  // kCommit / kAbort / kRemove
  const std::vector<std::string>* unique_ids = nullptr;
  std::set<std::string> aborted_hashes;  // kAbort and kRemove: files that may have lost their last row
  std::vector<std::string> removed;      // kRemove

  absl::Status status;

  // Writer thread, in the op's SAVEPOINT: a failing op is rolled back alone.
  absl::StatusOr<Outcome> Apply(Connection& conn) override {
    if (!status.ok()) return Outcome::kKeep;  // failed before it was queued; only cleanup left
    switch (kind) {
      case kStage:
        ApplyStage(conn);
        break;
      case kCommit:
        ApplyCommit(conn);
        break;
      case kAbort:
        ApplyAbort(conn);
        break;
      case kRemove:
        ApplyRemove(conn);
        break;
    }
    return status.ok() ? Outcome::kKeep : Outcome::kUndo;
  }

  void Finish(const absl::Status& batch_status) override {
    if (status.ok()) status = batch_status;
  }

 private:
  void ApplyStage(Connection& conn) {
    auto existing = FindOn(conn, unique_id);  // a concurrent Stage of the same uniqueId
    if (!existing.ok()) {
      status = existing.status();
      return;
    }
    if (*existing) {
      auto conflict = Conflict(**existing, stage);
      if (conflict.ok())
        stage = *conflict;
      else
        status = conflict.status();
      return;
    }
    status = Execute(conn,
                     "INSERT INTO documents (unique_id, hash, size, mime_type, state, created, patient_id, class_code) "
                     "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                     {unique_id, stage.hash, stage.size, mime_type, static_cast<int64_t>(std::time(nullptr)),
                      patient_id, class_code},
                     "insert");
  }

  void ApplyCommit(Connection& conn) {
    for (const std::string& id : *unique_ids) {
      status = Execute(conn, "UPDATE documents SET state = 'committed' WHERE unique_id = ? AND state = 'pending'", {id},
                       "commit");
      if (!status.ok()) return;
    }
  }

  void ApplyRemove(Connection& conn) {
    removed.clear();
    aborted_hashes.clear();
    for (const std::string& id : *unique_ids) {
      auto committed = SelectDocuments(
          conn, absl::StrCat(kSelectDocument, "WHERE unique_id = ? AND state = 'committed'"), {id}, "remove");
      if (!committed.ok()) {
        status = committed.status();
        return;
      }
      if (committed->empty()) continue;
      status = Execute(conn, "DELETE FROM documents WHERE unique_id = ? AND state = 'committed'", {id}, "remove");
      if (!status.ok()) return;
      aborted_hashes.insert(committed->front().hash);
      removed.push_back(id);
    }
  }

  void ApplyAbort(Connection& conn) {
    for (const std::string& id : *unique_ids) {
      auto pending = SelectDocuments(conn, absl::StrCat(kSelectDocument, "WHERE unique_id = ? AND state = 'pending'"),
                                     {id}, "abort");
      if (pending.ok() && !pending->empty()) aborted_hashes.insert(pending->front().hash);
      status = Execute(conn, "DELETE FROM documents WHERE unique_id = ? AND state = 'pending'", {id}, "abort");
      if (!status.ok()) return;
    }
  }
};

// Durability of the index (TF-41 P9/P10; see the header for the life of a document):
//   Stage  - synchronous=FULL: the pending row (and the renamed file, via the directory
//            fsync) must be on disk before the registry is asked, or a crash could leave a
//            registered DocumentEntry whose document we no longer have.
//   Commit - synchronous=NORMAL (in WAL mode: written, not fsynced; the next FULL commit
//            or checkpoint syncs it). A crash of the process loses nothing (the WAL is in
//            the page cache); a power loss may turn a committed row back into a pending
//            one. That state is exactly "crash after the registry accepted", which
//            recovery resolves by asking the registry (which holds the entry durably) and
//            committing again, before ITI-43 is served. So Success may be answered
//            without an fsync here.
//   Abort  - NORMAL as well: a lost abort leaves a pending row the registry does not
//            hold, which recovery aborts again (its file may already be gone; that is
//            harmless for a row that is aborted anyway).
//
// Group commit: a sqlite::GroupCommitWriter owns the read-write connection. Stage/Commit/
// Abort queue an Op and wait; the writer takes everything queued into one transaction
// (each Op in its own SAVEPOINT, so a failing one leaves its neighbours alone), so
// concurrent submissions share one WAL fsync. Unlinks of unreferenced files happen on the
// writer thread after each batch, under files_mu_ against Stages holding their hash in
// flight. Reads use a sqlite::ReaderPool of their own connections (WAL snapshots).
class FileDocumentStore : public DocumentStore {
 public:
  FileDocumentStore(std::string data_dir, std::unique_ptr<Connection> writer,
                    std::unique_ptr<sqlite::ReaderPool> readers)
      : documents_dir_(data_dir + "/documents"),
        readers_(std::move(readers)),
        writer_(std::move(writer), WriterOptions()) {}

  // The writer (declared last) drains its queue and stops first.
  ~FileDocumentStore() override = default;

  absl::StatusOr<StageResult> Stage(const StageRequest& request) override {
    StageResult result;
    result.hash = request.sha1.empty() ? Sha1Hex(request.content) : request.sha1;
    result.size = static_cast<int64_t>(request.content.size());
    if (!IsHexSha1(result.hash)) return absl::InvalidArgumentError("sha1 must be 40 lower-case hex digits");
    {
      auto existing = Find(request.unique_id);  // cheap early answer; the writer checks again
      if (!existing.ok()) return existing.status();
      if (*existing) return Conflict(**existing, result);
    }

    // Everything slow (writing up to hundreds of MiB, the file's fsync, the rename and the
    // directory's fsync) runs on the caller's thread, concurrently with other submissions;
    // the writer thread only inserts the row. While this Stage holds the hash in flight,
    // no Abort removes a file of that hash, so "the file exists" stays true until the row
    // refers to it.
    const std::string dir = DirFor(result.hash);
    const std::string final_path = dir + "/" + result.hash;
    bool exists;
    {
      std::lock_guard<std::mutex> lock(files_mu_);
      ++in_flight_[result.hash];
      exists = fs::exists(final_path);
    }
    Op op;
    op.kind = Op::kStage;
    op.unique_id = request.unique_id;
    op.mime_type = request.mime_type;
    op.patient_id = request.patient_id;
    op.class_code = request.class_code;
    op.stage = result;
    absl::Status status = exists ? absl::OkStatus() : PlaceFile(dir, final_path, request.content, &op.placed_file);
    if (!status.ok() && !op.placed_file) {
      std::lock_guard<std::mutex> lock(files_mu_);
      ReleaseLocked(result.hash);
      return status;
    }
    // The writer releases the hash from in_flight_ and removes a placed file when the
    // row was not stored (also when the directory fsync failed: op.status says so).
    op.status = status;
    if (absl::Status queued = writer_.Run(op); !queued.ok()) {
      std::lock_guard<std::mutex> lock(files_mu_);
      ReleaseLocked(result.hash);  // a placed file is left to RemoveOrphanFiles
      return queued;
    }
    if (!op.status.ok()) return op.status;
    return op.stage;
  }

  absl::Status Commit(const std::vector<std::string>& unique_ids) override {
    if (unique_ids.empty()) return absl::OkStatus();
    return RunIds(Op::kCommit, unique_ids);
  }

  absl::Status Abort(const std::vector<std::string>& unique_ids) override {
    if (unique_ids.empty()) return absl::OkStatus();
    return RunIds(Op::kAbort, unique_ids);
  }

  absl::StatusOr<std::vector<std::string>> Remove(const std::vector<std::string>& unique_ids) override {
    if (unique_ids.empty()) return std::vector<std::string>();
    Op op;
    op.kind = Op::kRemove;
    op.unique_ids = &unique_ids;
    if (absl::Status queued = writer_.Run(op); !queued.ok()) return queued;
    if (!op.status.ok()) return op.status;
    return std::move(op.removed);
  }

  absl::StatusOr<std::optional<StoredDocument>> Find(const std::string& unique_id) override {
    sqlite::ReaderPool::Lease reader(*readers_);
    return FindOn(reader.conn(), unique_id);
  }

  absl::StatusOr<std::optional<StoredDocument>> Lookup(const std::string& unique_id) override {
    auto found = Find(unique_id);
    if (found.ok() && *found && !(*found)->committed) return std::optional<StoredDocument>();
    return found;
  }

  absl::StatusOr<std::unique_ptr<DocumentContent>> Read(const StoredDocument& document) override {
    if (!IsHexSha1(document.hash)) return absl::InvalidArgumentError("bad document hash");
    std::string path = DirFor(document.hash) + "/" + document.hash;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::DataLossError(absl::StrCat("document file missing: ", path));
    struct stat st;
    if (::fstat(fd, &st) != 0 || st.st_size != document.size) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat("document file has the wrong size: ", path));
    }
    void* addr = nullptr;
    if (st.st_size > 0) {
      addr = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (addr == MAP_FAILED) {
        ::close(fd);
        return absl::UnavailableError(absl::StrCat("cannot map ", path));
      }
    }
    ::close(fd);
    return std::unique_ptr<DocumentContent>(new MappedContent(addr, static_cast<size_t>(st.st_size)));
  }

  absl::StatusOr<std::vector<StoredDocument>> Pending() override {
    sqlite::ReaderPool::Lease reader(*readers_);
    return SelectDocuments(reader.conn(), absl::StrCat(kSelectDocument, "WHERE state = 'pending' ORDER BY created"), {},
                           "pending");
  }

  absl::StatusOr<int> RemoveOrphanFiles() override {
    std::set<std::string> referenced;
    {
      sqlite::ReaderPool::Lease reader(*readers_);
      absl::StatusOr<sqlite::Statement> select =
          Query(reader.conn(), "SELECT DISTINCT hash FROM documents", {}, "hashes");
      if (!select.ok()) return select.status();
      for (;;) {
        absl::StatusOr<bool> row = select->Step();
        if (!row.ok()) return IndexError("hashes", row.status());
        if (!*row) break;
        referenced.insert(select->ColumnText(0));
      }
    }
    int removed = 0;
    std::error_code ec;
    for (const auto& sub : fs::directory_iterator(documents_dir_, ec)) {
      if (!sub.is_directory()) continue;
      bool changed = false;
      for (const auto& file : fs::directory_iterator(sub.path(), ec)) {
        std::string name = file.path().filename().string();
        if (name.rfind(kTempPrefix, 0) == 0 || (IsHexSha1(name) && referenced.count(name) == 0)) {
          if (fs::remove(file.path(), ec)) ++removed, changed = true;
        }
      }
      if (changed) FsyncDirectory(sub.path().string()).IgnoreError();
    }
    return removed;
  }

 private:
  // Writes `content` to a temp file, fsyncs it, renames it to `final_path` (unless a
  // concurrent Stage of the same content got there first) and fsyncs the directory.
  // `placed` is set when this call created `final_path`.
  absl::Status PlaceFile(const std::string& dir, const std::string& final_path, std::string_view content,
                         bool* placed) {
    absl::Status status = EnsureDirectory(dir);
    if (!status.ok()) return status;
    std::string temp_path =
        absl::StrCat(dir, "/", kTempPrefix, final_path.substr(final_path.size() - 40), "-", RandomSuffix());
    status = WriteFileDurably(temp_path, content);
    if (!status.ok()) return status;
    {
      std::lock_guard<std::mutex> lock(files_mu_);
      if (fs::exists(final_path)) {
        ::unlink(temp_path.c_str());
        return absl::OkStatus();
      }
      if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
        status = ErrnoStatus("rename", temp_path);
        ::unlink(temp_path.c_str());
        return status;
      }
    }
    *placed = true;
    // Concurrent Stages fsync their directories in parallel; with the file's own fsync
    // done, this makes the name durable before the row (and the registry) can refer to it.
    return FsyncDirectory(dir);
  }

  // Drops one in-flight reference to `hash`. files_mu_ held.
  void ReleaseLocked(const std::string& hash) {
    auto it = in_flight_.find(hash);
    if (it != in_flight_.end() && --it->second == 0) in_flight_.erase(it);
  }

  sqlite::GroupCommitWriter::Options WriterOptions() {
    sqlite::GroupCommitWriter::Options options;
    options.max_batch = 256;
    options.name = "document index";
    options.before_batch = [this](Connection& conn, absl::Span<sqlite::GroupCommitWriter::Item* const> batch) {
      return SetSynchronous(conn, batch);
    };
    options.after_batch = [this](Connection& conn, absl::Span<sqlite::GroupCommitWriter::Item* const> batch) {
      RemoveUnreferencedFiles(conn, batch);
    };
    return options;
  }

  absl::Status RunIds(Op::Kind kind, const std::vector<std::string>& unique_ids) {
    Op op;
    op.kind = kind;
    op.unique_ids = &unique_ids;
    if (absl::Status queued = writer_.Run(op); !queued.ok()) return queued;
    return op.status;
  }

  // Writer thread, before each batch: FULL (an fsync at COMMIT) only when it stages.
  absl::Status SetSynchronous(Connection& conn, absl::Span<sqlite::GroupCommitWriter::Item* const> batch) {
    bool full = false;
    // Stage and Remove are answered as durable: their batch fsyncs at COMMIT.
    for (auto* item : batch) {
      Op::Kind kind = static_cast<Op*>(item)->kind;
      full = full || kind == Op::kStage || kind == Op::kRemove;
    }
    if (synchronous_full_ == full) return absl::OkStatus();
    absl::Status status = conn.Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    if (!status.ok()) return IndexError("synchronous", status);
    synchronous_full_ = full;
    return status;
  }

  // Writer thread, after each batch. Files no row refers to any more: those of aborted rows
  // and those placed by Stages that failed. Never one a Stage still has in flight.
  void RemoveUnreferencedFiles(Connection& conn, absl::Span<sqlite::GroupCommitWriter::Item* const> batch) {
    std::set<std::string> candidates;
    for (auto* item : batch) {
      Op* op = static_cast<Op*>(item);
      if ((op->kind == Op::kAbort || op->kind == Op::kRemove) && op->status.ok()) {
        candidates.insert(op->aborted_hashes.begin(), op->aborted_hashes.end());
      }
      if (op->kind == Op::kStage && !op->status.ok() && op->placed_file) candidates.insert(op->stage.hash);
    }
    std::lock_guard<std::mutex> lock(files_mu_);
    for (auto* item : batch) {
      Op* op = static_cast<Op*>(item);
      if (op->kind == Op::kStage) ReleaseLocked(op->stage.hash);
    }
    for (const std::string& hash : candidates) {
      if (in_flight_.count(hash) || !IsHexSha1(hash)) continue;
      absl::StatusOr<int64_t> count = conn.QueryInt("SELECT COUNT(*) FROM documents WHERE hash = ?", {hash});
      if (!count.ok() || *count != 0) continue;
      std::string dir = DirFor(hash);
      ::unlink((dir + "/" + hash).c_str());
      FsyncDirectory(dir).IgnoreError();  // a lost unlink is an orphan, removed at start-up
    }
  }

  std::string DirFor(const std::string& hash) const { return documents_dir_ + "/" + hash.substr(0, 2); }

  absl::Status EnsureDirectory(const std::string& dir) {
    if (fs::is_directory(dir)) return absl::OkStatus();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
    return FsyncDirectory(documents_dir_);
  }

  const std::string documents_dir_;
  bool synchronous_full_ = true;  // writer thread only

  // Content files against their removal: a hash with a Stage between "the file exists"
  // (or its rename) and the end of its row's transaction is never unlinked.
  std::mutex files_mu_;
  std::map<std::string, int> in_flight_;

  std::unique_ptr<sqlite::ReaderPool> readers_;
  sqlite::GroupCommitWriter writer_;  // its thread stops before the members above die
  // In a file of its own: its commits (one per ITI-43) leave the index readers' caches alone.
  std::unique_ptr<audit::SqliteTrail> trail_;

 public:
  audit::Trail& audit_trail() override { return *trail_; }
  absl::Status OpenTrail(const std::string& path) {
    absl::StatusOr<std::unique_ptr<audit::SqliteTrail>> trail = audit::SqliteTrail::Open(path);
    if (!trail.ok()) return trail.status();
    trail_ = *std::move(trail);
    return absl::OkStatus();
  }
};

}  // namespace

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  // EVP_DigestUpdate takes size_t, but feed bounded chunks to stay friendly to any engine.
  for (size_t offset = 0; offset < data.size(); offset += size_t{1} << 28) {
    EVP_DigestUpdate(ctx, data.data() + offset, std::min(data.size() - offset, size_t{1} << 28));
  }
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(length * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

absl::StatusOr<std::unique_ptr<DocumentStore>> OpenFileDocumentStore(const std::string& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir + "/documents", ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", data_dir, "/documents: ", ec.message()));
  std::string path = data_dir + "/repository.sqlite";
  auto writer = Connection::Open(path, /*read_only=*/false);
  if (!writer.ok()) return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", writer.status().message()));
  for (const char* sql : {"PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    if (absl::Status s = (*writer)->Exec(sql); !s.ok()) return IndexError("open", s);
  }
  // Stores made before the audit trail lack the columns ITI-43's audit event needs.
  absl::StatusOr<int64_t> has_patient =
      (*writer)->QueryInt("SELECT COUNT(*) FROM pragma_table_info('documents') WHERE name = 'patient_id'");
  if (!has_patient.ok()) return IndexError("open", has_patient.status());
  if (*has_patient == 0) {
    if (absl::Status s = (*writer)->Exec("ALTER TABLE documents ADD COLUMN patient_id TEXT NOT NULL DEFAULT '';"
                                         "ALTER TABLE documents ADD COLUMN class_code TEXT NOT NULL DEFAULT ''");
        !s.ok()) {
      return IndexError("open", s);
    }
  }
  // Readers: ITI-43 lookups and duplicate checks, never waiting for a group commit.
  constexpr int kReaders = 4;
  auto readers =
      sqlite::ReaderPool::Open(path, kReaders, /*read_only=*/false, "PRAGMA busy_timeout=5000; PRAGMA query_only=1");
  if (!readers.ok())
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", readers.status().message()));
  auto store = std::make_unique<FileDocumentStore>(data_dir, *std::move(writer), *std::move(readers));
  if (absl::Status s = store->OpenTrail(data_dir + "/audit.sqlite"); !s.ok()) return IndexError("open", s);
  return std::unique_ptr<DocumentStore>(std::move(store));
}

}  // namespace xds
