#include "repository/document_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"

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

// One prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Int(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return rc_ = sqlite3_step(stmt_); }
  std::string ColumnText(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, i)) : std::string();
  }
  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  absl::Status Error(const std::string& what) const {
    return absl::UnavailableError(absl::StrCat("document index: ", what, ": ", sqlite3_errmsg(db_)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
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
// Group commit: one writer thread owns the read-write connection. Stage/Commit/Abort
// enqueue an operation and wait; the writer takes everything queued into one transaction
// (each operation in its own SAVEPOINT, so a failing one leaves its neighbours alone), so
// concurrent submissions share one WAL fsync and, per directory, one directory fsync.
// Renames into documents/ and unlinks of unreferenced files also happen only on the writer
// thread, which serializes "does this file exist / is it still referenced" against each
// other without a lock. Reads use a small pool of their own connections (WAL snapshots).
class FileDocumentStore : public DocumentStore {
 public:
  FileDocumentStore(std::string data_dir, sqlite3* writer, std::vector<sqlite3*> readers)
      : documents_dir_(data_dir + "/documents"), db_(writer), readers_(std::move(readers)) {
    for (sqlite3* r : readers_) free_readers_.push_back(r);
  }

  ~FileDocumentStore() override {
    if (writer_thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        stopping_ = true;
      }
      queue_cv_.notify_all();
      writer_thread_.join();  // drains the queue first
    }
    for (sqlite3* r : readers_) sqlite3_close(r);
    sqlite3_close(db_);
  }

  void StartWriter() {
    writer_thread_ = std::thread([this] { WriterLoop(); });
  }

  // On the writer connection: before StartWriter(), then only on the writer thread.
  absl::Status Exec(const char* sql) { return ExecOn(db_, sql); }

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
    Run(&op);
    if (!op.status.ok()) return op.status;
    return op.stage;
  }

  absl::Status Commit(const std::vector<std::string>& unique_ids) override {
    if (unique_ids.empty()) return absl::OkStatus();
    Op op;
    op.kind = Op::kCommit;
    op.unique_ids = &unique_ids;
    Run(&op);
    return op.status;
  }

  absl::Status Abort(const std::vector<std::string>& unique_ids) override {
    if (unique_ids.empty()) return absl::OkStatus();
    Op op;
    op.kind = Op::kAbort;
    op.unique_ids = &unique_ids;
    Run(&op);
    return op.status;
  }

  absl::StatusOr<std::optional<StoredDocument>> Find(const std::string& unique_id) override {
    Reader reader(this);
    return FindOn(reader.db(), unique_id);
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
    Reader reader(this);
    std::vector<StoredDocument> out;
    Stmt select(reader.db(),
                "SELECT unique_id, hash, size, mime_type, state, created FROM documents "
                "WHERE state = 'pending' ORDER BY created");
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) out.push_back(RowOf(select));
    if (rc != SQLITE_DONE) return select.Error("pending");
    return out;
  }

  absl::StatusOr<int> RemoveOrphanFiles() override {
    std::set<std::string> referenced;
    {
      Reader reader(this);
      Stmt select(reader.db(), "SELECT DISTINCT hash FROM documents");
      int rc;
      while ((rc = select.Step()) == SQLITE_ROW) referenced.insert(select.ColumnText(0));
      if (rc != SQLITE_DONE) return select.Error("hashes");
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

  // One queued write. Lives on the caller's stack; the caller waits until `done`.
  struct Op {
    enum Kind { kStage, kCommit, kAbort } kind;
    // kStage
    std::string unique_id, mime_type;
    StageResult stage;
    bool placed_file = false;  // this Stage created the content file
    // kCommit / kAbort
    const std::vector<std::string>* unique_ids = nullptr;
    std::set<std::string> aborted_hashes;

    absl::Status status;
    bool done = false;           // queue_mu_
    std::condition_variable cv;  // wakes just this op's caller (no herd on each group)
  };

  // Borrows a reader connection from the pool for its lifetime.
  class Reader {
   public:
    explicit Reader(FileDocumentStore* store) : store_(store) {
      std::unique_lock<std::mutex> lock(store_->pool_mu_);
      store_->pool_cv_.wait(lock, [this] { return !store_->free_readers_.empty(); });
      db_ = store_->free_readers_.back();
      store_->free_readers_.pop_back();
    }
    ~Reader() {
      {
        std::lock_guard<std::mutex> lock(store_->pool_mu_);
        store_->free_readers_.push_back(db_);
      }
      store_->pool_cv_.notify_one();
    }
    sqlite3* db() const { return db_; }

   private:
    FileDocumentStore* store_;
    sqlite3* db_;
  };

  static absl::Status ExecOn(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown";
      sqlite3_free(err);
      return absl::UnavailableError(absl::StrCat("document index: ", message));
    }
    return absl::OkStatus();
  }

  void Run(Op* op) {
    std::unique_lock<std::mutex> lock(queue_mu_);
    queue_.push_back(op);
    queue_cv_.notify_one();
    op->cv.wait(lock, [op] { return op->done; });
  }

  void WriterLoop() {
    std::vector<Op*> group;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left to write
        while (!queue_.empty() && group.size() < kMaxGroup) {
          group.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      WriteGroup(group);
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        for (Op* op : group) {
          op->done = true;
          op->cv.notify_one();  // under the lock: the op (and its cv) dies once its caller wakes
        }
      }
      group.clear();
    }
  }

  absl::Status SetSynchronous(bool full) {
    if (synchronous_full_ == full) return absl::OkStatus();
    absl::Status status = Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    if (status.ok()) synchronous_full_ = full;
    return status;
  }

  // One transaction for every op in `group`; sets each op's status.
  void WriteGroup(const std::vector<Op*>& group) {
    bool any_stage = false;
    for (Op* op : group) any_stage = any_stage || op->kind == Op::kStage;
    absl::Status status = SetSynchronous(any_stage);
    if (status.ok()) status = Exec("BEGIN IMMEDIATE");
    if (status.ok()) {
      for (Op* op : group) {
        if (!op->status.ok()) continue;  // failed before it was queued; only cleanup left
        if (!Exec("SAVEPOINT op").ok()) {
          op->status = absl::UnavailableError("document index: savepoint");
          continue;
        }
        switch (op->kind) {
          case Op::kStage:
            ApplyStage(op);
            break;
          case Op::kCommit:
            ApplyCommit(op);
            break;
          case Op::kAbort:
            ApplyAbort(op);
            break;
        }
        if (!op->status.ok()) Exec("ROLLBACK TO op").IgnoreError();
        Exec("RELEASE op").IgnoreError();
      }
      status = Exec("COMMIT");  // the group's one fsync (none when only Commit/Abort ran)
      if (!status.ok()) Exec("ROLLBACK").IgnoreError();
    }
    if (!status.ok()) {
      for (Op* op : group) {
        if (op->status.ok()) op->status = status;
      }
    }
    // Files no row refers to any more: those of aborted rows and those placed by Stages
    // that failed. Never one a Stage still has in flight.
    std::set<std::string> candidates;
    for (Op* op : group) {
      if (op->kind == Op::kAbort && op->status.ok()) {
        candidates.insert(op->aborted_hashes.begin(), op->aborted_hashes.end());
      }
      if (op->kind == Op::kStage && !op->status.ok() && op->placed_file) candidates.insert(op->stage.hash);
    }
    std::lock_guard<std::mutex> lock(files_mu_);
    for (Op* op : group) {
      if (op->kind == Op::kStage) ReleaseLocked(op->stage.hash);
    }
    for (const std::string& hash : candidates) {
      if (in_flight_.count(hash) || !IsHexSha1(hash)) continue;
      Stmt count(db_, "SELECT COUNT(*) FROM documents WHERE hash = ?");
      count.Text(1, hash);
      if (count.Step() != SQLITE_ROW || count.ColumnInt(0) != 0) continue;
      std::string dir = DirFor(hash);
      ::unlink((dir + "/" + hash).c_str());
      FsyncDirectory(dir).IgnoreError();  // a lost unlink is an orphan, removed at start-up
    }
  }

  void ApplyStage(Op* op) {
    auto existing = FindOn(db_, op->unique_id);  // a concurrent Stage of the same uniqueId
    if (!existing.ok()) {
      op->status = existing.status();
      return;
    }
    if (*existing) {
      auto conflict = Conflict(**existing, op->stage);
      if (conflict.ok())
        op->stage = *conflict;
      else
        op->status = conflict.status();
      return;
    }
    Stmt insert(db_,
                "INSERT INTO documents (unique_id, hash, size, mime_type, state, created) "
                "VALUES (?, ?, ?, ?, 'pending', ?)");
    insert.Text(1, op->unique_id)
        .Text(2, op->stage.hash)
        .Int(3, op->stage.size)
        .Text(4, op->mime_type)
        .Int(5, static_cast<int64_t>(std::time(nullptr)));
    if (!insert.ok() || insert.Step() != SQLITE_DONE) op->status = insert.Error("insert");
  }

  void ApplyCommit(Op* op) {
    for (const std::string& id : *op->unique_ids) {
      Stmt update(db_, "UPDATE documents SET state = 'committed' WHERE unique_id = ? AND state = 'pending'");
      update.Text(1, id);
      if (!update.ok() || update.Step() != SQLITE_DONE) {
        op->status = update.Error("commit");
        return;
      }
    }
  }

  void ApplyAbort(Op* op) {
    for (const std::string& id : *op->unique_ids) {
      Stmt select(db_, "SELECT hash FROM documents WHERE unique_id = ? AND state = 'pending'");
      select.Text(1, id);
      if (select.Step() == SQLITE_ROW) op->aborted_hashes.insert(select.ColumnText(0));
      Stmt remove(db_, "DELETE FROM documents WHERE unique_id = ? AND state = 'pending'");
      remove.Text(1, id);
      if (!remove.ok() || remove.Step() != SQLITE_DONE) {
        op->status = remove.Error("abort");
        return;
      }
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

  static StoredDocument RowOf(const Stmt& s) {
    StoredDocument d;
    d.unique_id = s.ColumnText(0);
    d.hash = s.ColumnText(1);
    d.size = s.ColumnInt(2);
    d.mime_type = s.ColumnText(3);
    d.committed = s.ColumnText(4) == "committed";
    d.created = s.ColumnInt(5);
    return d;
  }

  static absl::StatusOr<std::optional<StoredDocument>> FindOn(sqlite3* db, const std::string& unique_id) {
    Stmt select(db, "SELECT unique_id, hash, size, mime_type, state, created FROM documents WHERE unique_id = ?");
    select.Text(1, unique_id);
    int rc = select.Step();
    if (rc == SQLITE_ROW) return std::optional<StoredDocument>(RowOf(select));
    if (rc == SQLITE_DONE) return std::optional<StoredDocument>();
    return select.Error("find");
  }

  static absl::StatusOr<StageResult> Conflict(const StoredDocument& existing, StageResult result) {
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

  static constexpr size_t kMaxGroup = 256;

  const std::string documents_dir_;
  sqlite3* db_;  // the writer's connection: only the writer thread uses it once started
  bool synchronous_full_ = true;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // work for the writer
  std::deque<Op*> queue_;
  bool stopping_ = false;
  std::thread writer_thread_;

  // Content files against their removal: a hash with a Stage between "the file exists"
  // (or its rename) and the end of its row's transaction is never unlinked.
  std::mutex files_mu_;
  std::map<std::string, int> in_flight_;

  std::vector<sqlite3*> readers_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<sqlite3*> free_readers_;
};

absl::StatusOr<sqlite3*> OpenConnection(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", message));
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

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
  auto writer = OpenConnection(path, /*create=*/true);
  if (!writer.ok()) return writer.status();
  // The store owns every connection from here on, also when a later step fails.
  std::vector<sqlite3*> readers;
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    char* err = nullptr;
    if (sqlite3_exec(*writer, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown";
      sqlite3_free(err);
      sqlite3_close(*writer);
      return absl::UnavailableError(absl::StrCat("document index: ", message));
    }
  }
  // Readers: ITI-43 lookups and duplicate checks, never waiting for a group commit.
  constexpr int kReaders = 4;
  for (int i = 0; i < kReaders; ++i) {
    auto reader = OpenConnection(path, /*create=*/false);
    if (!reader.ok()) {
      for (sqlite3* r : readers) sqlite3_close(r);
      sqlite3_close(*writer);
      return reader.status();
    }
    sqlite3_exec(*reader, "PRAGMA query_only=1", nullptr, nullptr, nullptr);
    readers.push_back(*reader);
  }
  auto store = std::make_unique<FileDocumentStore>(data_dir, *writer, std::move(readers));
  store->StartWriter();
  return std::unique_ptr<DocumentStore>(std::move(store));
}

}  // namespace xds
