#include "repository/document_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>

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

class FileDocumentStore : public DocumentStore {
 public:
  FileDocumentStore(std::string data_dir, sqlite3* db)
      : documents_dir_(data_dir + "/documents"), db_(db) {}
  ~FileDocumentStore() override { sqlite3_close(db_); }

  absl::Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown";
      sqlite3_free(err);
      return absl::UnavailableError(absl::StrCat("document index: ", message));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<StageResult> Stage(const StageRequest& request) override {
    StageResult result;
    result.hash = request.sha1.empty() ? Sha1Hex(request.content) : request.sha1;
    result.size = static_cast<int64_t>(request.content.size());
    if (!IsHexSha1(result.hash)) return absl::InvalidArgumentError("sha1 must be 40 lower-case hex digits");
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto existing = FindLocked(request.unique_id);
      if (!existing.ok()) return existing.status();
      if (*existing) return Conflict(**existing, result);
    }

    // The slow part (writing up to hundreds of MiB and fsyncing) runs without the lock;
    // only the rename into place and the row insert are serialized against Abort.
    const std::string dir = DirFor(result.hash);
    const std::string final_path = dir + "/" + result.hash;
    std::string temp_path;
    if (!fs::exists(final_path)) {
      absl::Status status = EnsureDirectory(dir);
      if (!status.ok()) return status;
      temp_path = absl::StrCat(dir, "/", kTempPrefix, result.hash, "-", RandomSuffix());
      status = WriteFileDurably(temp_path, request.content);
      if (!status.ok()) return status;
    }

    std::lock_guard<std::mutex> lock(mu_);
    auto existing = FindLocked(request.unique_id);  // a concurrent Stage of the same uniqueId
    if (!existing.ok() || *existing) {
      if (!temp_path.empty()) ::unlink(temp_path.c_str());
      if (!existing.ok()) return existing.status();
      return Conflict(**existing, result);
    }
    bool created_file = false;
    if (fs::exists(final_path)) {
      if (!temp_path.empty()) ::unlink(temp_path.c_str());
    } else {
      if (temp_path.empty()) {  // the file vanished (an Abort) after we looked: write it now
        absl::Status status = EnsureDirectory(dir);
        temp_path = absl::StrCat(dir, "/", kTempPrefix, result.hash, "-", RandomSuffix());
        if (status.ok()) status = WriteFileDurably(temp_path, request.content);
        if (!status.ok()) return status;
      }
      if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
        absl::Status status = ErrnoStatus("rename", temp_path);
        ::unlink(temp_path.c_str());
        return status;
      }
      created_file = true;
      absl::Status status = FsyncDirectory(dir);
      if (!status.ok()) {
        ::unlink(final_path.c_str());
        return status;
      }
    }
    Stmt insert(db_,
                "INSERT INTO documents (unique_id, hash, size, mime_type, state, created) "
                "VALUES (?, ?, ?, ?, 'pending', ?)");
    insert.Text(1, request.unique_id).Text(2, result.hash).Int(3, result.size).Text(4, request.mime_type)
        .Int(5, static_cast<int64_t>(std::time(nullptr)));
    if (!insert.ok() || insert.Step() != SQLITE_DONE) {
      absl::Status status = insert.Error("insert");
      if (created_file) ::unlink(final_path.c_str());
      return status;
    }
    return result;
  }

  absl::Status Commit(const std::vector<std::string>& unique_ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status status = Exec("BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    for (const std::string& id : unique_ids) {
      Stmt update(db_, "UPDATE documents SET state = 'committed' WHERE unique_id = ? AND state = 'pending'");
      update.Text(1, id);
      if (!update.ok() || update.Step() != SQLITE_DONE) {
        status = update.Error("commit");
        Exec("ROLLBACK").IgnoreError();
        return status;
      }
    }
    return Exec("COMMIT");
  }

  absl::Status Abort(const std::vector<std::string>& unique_ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> hashes;
    absl::Status status = Exec("BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    for (const std::string& id : unique_ids) {
      Stmt select(db_, "SELECT hash FROM documents WHERE unique_id = ? AND state = 'pending'");
      select.Text(1, id);
      if (select.Step() == SQLITE_ROW) hashes.insert(select.ColumnText(0));
      Stmt remove(db_, "DELETE FROM documents WHERE unique_id = ? AND state = 'pending'");
      remove.Text(1, id);
      if (!remove.ok() || remove.Step() != SQLITE_DONE) {
        status = remove.Error("abort");
        Exec("ROLLBACK").IgnoreError();
        return status;
      }
    }
    status = Exec("COMMIT");
    if (!status.ok()) return status;
    for (const std::string& hash : hashes) {
      Stmt count(db_, "SELECT COUNT(*) FROM documents WHERE hash = ?");
      count.Text(1, hash);
      if (count.Step() != SQLITE_ROW) return count.Error("count");
      if (count.ColumnInt(0) == 0 && IsHexSha1(hash)) {
        std::string dir = DirFor(hash);
        ::unlink((dir + "/" + hash).c_str());
        FsyncDirectory(dir).IgnoreError();  // a lost unlink is an orphan, removed at start-up
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<StoredDocument>> Find(const std::string& unique_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FindLocked(unique_id);
  }

  absl::StatusOr<std::optional<StoredDocument>> Lookup(const std::string& unique_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = FindLocked(unique_id);
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
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<StoredDocument> out;
    Stmt select(db_,
                "SELECT unique_id, hash, size, mime_type, state, created FROM documents "
                "WHERE state = 'pending' ORDER BY created");
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) out.push_back(RowOf(select));
    if (rc != SQLITE_DONE) return select.Error("pending");
    return out;
  }

  absl::StatusOr<int> RemoveOrphanFiles() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> referenced;
    Stmt select(db_, "SELECT DISTINCT hash FROM documents");
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) referenced.insert(select.ColumnText(0));
    if (rc != SQLITE_DONE) return select.Error("hashes");
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

  absl::StatusOr<std::optional<StoredDocument>> FindLocked(const std::string& unique_id) {
    Stmt select(db_, "SELECT unique_id, hash, size, mime_type, state, created FROM documents WHERE unique_id = ?");
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
      return absl::AlreadyExistsError(absl::StrCat("hash: document ", existing.unique_id,
                                                   " is already stored with hash ", existing.hash));
    }
    if (existing.size != result.size) {
      return absl::AlreadyExistsError(absl::StrCat("size: document ", existing.unique_id,
                                                   " is already stored with size ", existing.size));
    }
    result.already_committed = true;
    return result;
  }

  const std::string documents_dir_;
  std::mutex mu_;  // the connection, and file creation/removal against row changes
  sqlite3* db_;
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
  sqlite3* db = nullptr;
  std::string path = data_dir + "/repository.sqlite";
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", message));
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<FileDocumentStore>(data_dir, db);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    absl::Status status = store->Exec(sql);
    if (!status.ok()) return status;
  }
  return std::unique_ptr<DocumentStore>(std::move(store));
}

}  // namespace xds
