// SQLite implementation of MetadataStore.
//
// Writes: one writer thread owns the only read-write connection. Submit/AddPatient enqueue
// a task and wait on a future; the writer drains up to max_group_size tasks into one
// BEGIN IMMEDIATE ... COMMIT, each submission inside its own SAVEPOINT so that a refused
// one leaves nothing behind while its neighbours commit. With synchronous=FULL in WAL mode
// the COMMIT is the one fsync the whole group shares. Checks run on the write connection,
// so they see what earlier submissions of the same group wrote.
//
// Reads: a fixed pool of SQLITE_OPEN_READONLY connections, leased under a mutex; WAL lets
// them read the last committed state while the writer works.
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "registry/shared/sqlite/sqlite_connection.h"
#include "registry/store/metadata_store.h"
#include "registry/store/sqlite_admin.h"
#include "registry/store/sqlite_queries.h"
#include "registry/store/sqlite_schema.h"

namespace xds {
namespace {

using sqlite::Connection;

constexpr int kBusyTimeoutMs = 10000;

// RegistryView over the write connection, inside the group transaction. Remembers the first
// store failure so that a check that swallowed it cannot get a submission committed on the
// strength of a failed read.
class WriteView : public RegistryView {
 public:
  explicit WriteView(Connection& conn) : conn_(conn) {}

  absl::StatusOr<bool> PatientKnown(const std::string& patient_id) override {
    return Note(sqlite::PatientKnown(conn_, patient_id));
  }
  absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(const std::vector<std::string>& uuids) override {
    return Note(sqlite::FindObjects(conn_, uuids));
  }
  absl::StatusOr<std::vector<DocumentEntry>> DocumentEntriesByUniqueId(const std::string& unique_id) override {
    return Note(sqlite::DocumentEntriesByUniqueId(conn_, unique_id));
  }
  absl::StatusOr<bool> UniqueIdRegistered(const std::string& unique_id) override {
    return Note(sqlite::UniqueIdRegistered(conn_, unique_id));
  }
  absl::StatusOr<std::vector<Association>> AssociationsOf(const std::string& uuid) override {
    return Note(sqlite::AssociationsOf(conn_, uuid));
  }

  const absl::Status& first_error() const { return first_error_; }

 private:
  template <typename T>
  absl::StatusOr<T> Note(absl::StatusOr<T> result) {
    if (!result.ok() && first_error_.ok()) first_error_ = result.status();
    return result;
  }

  Connection& conn_;
  absl::Status first_error_;
};

struct TaskResult {
  absl::Status status;
  std::vector<RegistryError> errors;
  bool patient_added = false;
};

struct Task {
  enum class Type { kSubmit, kAddPatient };
  Type type = Type::kSubmit;
  WritePlan plan;
  SubmissionCheck check;
  std::string patient_id;
  std::promise<TaskResult> done;
};

absl::Status ConfigureWriter(Connection& conn) {
  // journal_mode answers with the mode actually in force; some filesystems refuse WAL.
  absl::StatusOr<sqlite::Statement> wal = conn.Prepare("PRAGMA journal_mode = WAL");
  if (!wal.ok()) return wal.status();
  absl::StatusOr<bool> row = wal->Step();
  if (!row.ok()) return row.status();
  if (!*row || wal->ColumnText(0) != "wal") {
    return absl::FailedPreconditionError("metadata store could not switch to WAL journal mode");
  }
  return conn.Exec(absl::StrCat("PRAGMA synchronous = FULL; PRAGMA busy_timeout = ", kBusyTimeoutMs,
                                "; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;"
                                " PRAGMA cache_size = -65536; PRAGMA mmap_size = 2147418112;"));
}

class SqliteMetadataStore : public MetadataStore {
 public:
  SqliteMetadataStore(std::string path, std::unique_ptr<Connection> writer,
                      std::vector<std::unique_ptr<Connection>> readers, size_t max_group_size)
      : path_(std::move(path)),
        writer_conn_(std::move(writer)),
        readers_(std::move(readers)),
        max_group_size_(max_group_size == 0 ? 1 : max_group_size) {
    for (auto& r : readers_) free_readers_.push_back(r.get());
    writer_thread_ = std::thread([this] { WriterLoop(); });
  }

  ~SqliteMetadataStore() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_thread_.join();  // the writer drains the queue before it exits
    readers_.clear();
    writer_conn_.reset();
  }

  absl::StatusOr<std::vector<RegistryError>> Submit(WritePlan plan, SubmissionCheck check) override {
    auto task = std::make_unique<Task>();
    task->type = Task::Type::kSubmit;
    task->plan = std::move(plan);
    task->check = std::move(check);
    TaskResult result = Run(std::move(task));
    if (!result.status.ok()) return result.status;
    return std::move(result.errors);
  }

  absl::StatusOr<bool> AddPatient(const std::string& patient_id) override {
    auto task = std::make_unique<Task>();
    task->type = Task::Type::kAddPatient;
    task->patient_id = patient_id;
    TaskResult result = Run(std::move(task));
    if (!result.status.ok()) return result.status;
    return result.patient_added;
  }

  absl::StatusOr<bool> PatientKnown(const std::string& patient_id) override {
    ReaderLease r(this);
    return sqlite::PatientKnown(r.conn(), patient_id);
  }
  absl::StatusOr<std::vector<std::string>> ListPatients() override {
    ReaderLease r(this);
    return sqlite::ListPatients(r.conn());
  }
  absl::StatusOr<std::vector<DocumentEntry>> FindDocumentEntries(const DocumentEntryFilter& filter) override {
    ReaderLease r(this);
    return sqlite::FindDocumentEntries(r.conn(), filter);
  }
  absl::StatusOr<std::vector<SubmissionSet>> FindSubmissionSets(const PackageFilter& filter) override {
    ReaderLease r(this);
    return sqlite::FindSubmissionSets(r.conn(), filter);
  }
  absl::StatusOr<std::vector<Folder>> FindFolders(const PackageFilter& filter) override {
    ReaderLease r(this);
    return sqlite::FindFolders(r.conn(), filter);
  }
  absl::StatusOr<std::vector<Association>> FindAssociations(const std::vector<std::string>& uuids,
                                                            const std::vector<std::string>& types) override {
    ReaderLease r(this);
    return InSnapshot(r.conn(), [&](Connection& c) { return sqlite::FindAssociations(c, uuids, types); });
  }
  absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(const std::vector<std::string>& uuids) override {
    ReaderLease r(this);
    return InSnapshot(r.conn(), [&](Connection& c) { return sqlite::FindObjects(c, uuids); });
  }
  absl::StatusOr<int64_t> CountObjects(ObjectKind kind) override {
    ReaderLease r(this);
    return sqlite::CountObjects(r.conn(), kind);
  }
  absl::StatusOr<StoreStats> Stats() override {
    ReaderLease r(this);
    return sqlite::ReadStats(r.conn(), path_);
  }
  // On a connection of its own, so the reader pool stays free for queries meanwhile.
  absl::Status Backup(const std::string& path) override { return sqlite::BackupDatabase(path_, path); }

 private:
  // Exclusive use of one pooled reader for the lifetime of the lease.
  class ReaderLease {
   public:
    explicit ReaderLease(SqliteMetadataStore* store) : store_(store) {
      std::unique_lock<std::mutex> lock(store_->pool_mu_);
      store_->pool_cv_.wait(lock, [this] { return !store_->free_readers_.empty(); });
      conn_ = store_->free_readers_.back();
      store_->free_readers_.pop_back();
    }
    ~ReaderLease() {
      {
        std::lock_guard<std::mutex> lock(store_->pool_mu_);
        store_->free_readers_.push_back(conn_);
      }
      store_->pool_cv_.notify_one();
    }
    Connection& conn() { return *conn_; }

   private:
    SqliteMetadataStore* store_;
    Connection* conn_ = nullptr;
  };

  // Runs several statements against one read snapshot.
  template <typename F>
  static auto InSnapshot(Connection& conn, F f) -> decltype(f(conn)) {
    if (absl::Status s = conn.Exec("BEGIN"); !s.ok()) return s;
    auto result = f(conn);
    absl::Status end = conn.Exec("COMMIT");
    if (!end.ok() && conn.InTransaction()) conn.Exec("ROLLBACK").IgnoreError();
    if (result.ok() && !end.ok()) return end;
    return result;
  }

  TaskResult Run(std::unique_ptr<Task> task) {
    std::future<TaskResult> done = task->done.get_future();
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (stopping_) {
        TaskResult r;
        r.status = absl::UnavailableError("metadata store is shutting down");
        return r;
      }
      queue_.push_back(std::move(task));
    }
    queue_cv_.notify_one();
    return done.get();
  }

  void WriterLoop() {
    for (;;) {
      std::vector<std::unique_ptr<Task>> group;
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left to write
        while (!queue_.empty() && group.size() < max_group_size_) {
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<TaskResult> results = CommitGroup(group);
      for (size_t i = 0; i < group.size(); ++i) group[i]->done.set_value(std::move(results[i]));
    }
  }

  // Runs one submission inside SAVEPOINT. Returns a non-OK status only for failures that
  // poison the whole group transaction; per-submission outcomes go to `result`.
  absl::Status ApplySubmission(Task& task, TaskResult& result) {
    Connection& conn = *writer_conn_;
    if (absl::Status s = conn.Exec("SAVEPOINT submission"); !s.ok()) return s;
    auto undo = [&conn]() -> absl::Status {
      absl::Status s = conn.Exec("ROLLBACK TO submission");
      if (s.ok()) s = conn.Exec("RELEASE submission");
      return s;
    };

    WriteView view(conn);
    std::vector<RegistryError> errors;
    absl::Status check_status;
    if (task.check) {
      try {
        errors = task.check(view, &task.plan);
      } catch (...) {  // the check is caller code; the writer thread must survive it
        check_status = absl::InternalError("submission check failed unexpectedly");
      }
    }
    if (check_status.ok()) check_status = view.first_error();
    if (!check_status.ok() || !errors.empty()) {
      result.status = check_status;
      if (check_status.ok()) result.errors = std::move(errors);
      return undo();
    }

    absl::Status s = sqlite::InsertSubmission(conn, task.plan.submission);
    if (s.ok()) s = sqlite::DeprecateDocumentEntries(conn, task.plan.deprecate_uuids);
    if (s.ok()) s = sqlite::TouchFolders(conn, task.plan.touched_folder_uuids, task.plan.last_update_time);
    if (s.ok()) return conn.Exec("RELEASE submission");

    // A constraint violation (an entryUUID the check did not catch) is this submission's
    // fault: undo just it. Anything else (I/O, full disk) fails the whole group.
    if (s.code() == absl::StatusCode::kAlreadyExists && conn.InTransaction()) {
      result.status = s;
      return undo();
    }
    if (conn.InTransaction()) undo().IgnoreError();
    return s;
  }

  std::vector<TaskResult> CommitGroup(std::vector<std::unique_ptr<Task>>& group) {
    Connection& conn = *writer_conn_;
    std::vector<TaskResult> results(group.size());
    absl::Status fatal = conn.Exec("BEGIN IMMEDIATE");
    for (size_t i = 0; i < group.size() && fatal.ok(); ++i) {
      Task& task = *group[i];
      if (task.type == Task::Type::kAddPatient) {
        absl::StatusOr<bool> added = sqlite::InsertPatient(conn, task.patient_id);
        if (added.ok()) {
          results[i].patient_added = *added;
        } else {
          fatal = added.status();
        }
      } else {
        fatal = ApplySubmission(task, results[i]);
      }
    }
    if (fatal.ok()) fatal = conn.Exec("COMMIT");
    if (!fatal.ok()) {
      // Nothing of this group is durable; refusals computed against rolled-back neighbours
      // are not trustworthy either, so everyone gets the store failure.
      if (conn.InTransaction()) conn.Exec("ROLLBACK").IgnoreError();
      for (TaskResult& r : results) {
        r = TaskResult();
        r.status = fatal;
      }
    }
    return results;
  }

  const std::string path_;
  std::unique_ptr<Connection> writer_conn_;
  std::vector<std::unique_ptr<Connection>> readers_;
  const size_t max_group_size_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Task>> queue_;
  bool stopping_ = false;
  std::thread writer_thread_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Connection*> free_readers_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const SqliteOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("metadata store path is empty");
  absl::StatusOr<std::unique_ptr<Connection>> writer = Connection::Open(options.path, /*read_only=*/false);
  if (!writer.ok()) return writer.status();
  if (absl::Status s = (*writer)->Exec(absl::StrCat("PRAGMA busy_timeout = ", kBusyTimeoutMs)); !s.ok()) return s;
  if (absl::Status s = ConfigureWriter(**writer); !s.ok()) return s;
  if (absl::Status s = sqlite::Migrate(**writer); !s.ok()) return s;

  std::vector<std::unique_ptr<Connection>> readers;
  int n = options.reader_connections < 1 ? 1 : options.reader_connections;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> reader = Connection::Open(options.path, /*read_only=*/true);
    if (!reader.ok()) return reader.status();
    // Reads through a memory map: index pages are not copied out of the page cache per lookup.
    if (absl::Status s = (*reader)->Exec(absl::StrCat("PRAGMA busy_timeout = ", kBusyTimeoutMs,
                                                      "; PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -262144"));
        !s.ok()) {
      return s;
    }
    readers.push_back(*std::move(reader));
  }
  return std::unique_ptr<MetadataStore>(
      new SqliteMetadataStore(options.path, *std::move(writer), std::move(readers), options.max_group_size));
}

}  // namespace xds
