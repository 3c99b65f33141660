// SQLite implementation of MetadataStore.
//
// Writes: a sqlite::GroupCommitWriter owns the only read-write connection. Submit/AddPatient
// queue a task and wait; the writer takes up to max_group_size tasks into one
// BEGIN IMMEDIATE ... COMMIT, each task inside its own SAVEPOINT so that a refused
// submission leaves nothing behind while its neighbours commit. With synchronous=FULL in
// WAL mode the COMMIT is the one fsync the whole group shares. Checks run on the write
// connection, so they see what earlier submissions of the same group wrote.
//
// Reads: a sqlite::ReaderPool of SQLITE_OPEN_READONLY connections; WAL lets them read the
// last committed state while the writer works.
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "registry/shared/audit/sqlite_trail.h"
#include "registry/shared/sqlite/group_commit_writer.h"
#include "registry/shared/sqlite/reader_pool.h"
#include "registry/shared/sqlite/sqlite_connection.h"
#include "registry/store/metadata_store.h"
#include "registry/store/sqlite_admin.h"
#include "registry/store/sqlite_patient_merge.h"
#include "registry/store/sqlite_patient_policy.h"
#include "registry/store/sqlite_queries.h"
#include "registry/store/sqlite_schema.h"

namespace xds {
namespace {

using sqlite::Connection;
using Outcome = sqlite::GroupCommitWriter::Outcome;

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
  absl::StatusOr<std::vector<Association>> AssociationsById(const std::vector<std::string>& uuids) override {
    return Note(sqlite::AssociationsById(conn_, uuids));
  }
  absl::StatusOr<std::vector<DocumentEntry>> DocumentEntries(const DocumentEntryFilter& filter) override {
    return Note(sqlite::FindDocumentEntries(conn_, filter));
  }
  absl::StatusOr<std::vector<Folder>> Folders(const PackageFilter& filter) override {
    return Note(sqlite::FindFolders(conn_, filter));
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

// One Submit or AddPatient, queued on the writer and waited for on the caller's stack.
class Task : public sqlite::GroupCommitWriter::Item {
 public:
  absl::Status status;
  void Finish(const absl::Status& batch_status) override {
    // Nothing of the group is durable; refusals computed against rolled-back neighbours
    // are not trustworthy either, so everyone gets the store failure.
    if (batch_status.ok()) return;
    status = batch_status;
    ForgetResult();
  }

 protected:
  virtual void ForgetResult() = 0;
};

class AddPatientTask : public Task {
 public:
  explicit AddPatientTask(const std::string& patient_id) : patient_id_(patient_id) {}
  bool added = false;

  absl::StatusOr<Outcome> Apply(Connection& conn) override {
    absl::StatusOr<bool> inserted = sqlite::InsertPatient(conn, patient_id_);
    if (!inserted.ok()) return inserted.status();
    added = *inserted;
    return Outcome::kKeep;
  }

 private:
  void ForgetResult() override { added = false; }
  const std::string& patient_id_;
};

class SubmitTask : public Task {
 public:
  SubmitTask(WritePlan plan, SubmissionCheck check, const policy::DomainPolicy* domain_policy,
             audit::OutboxMover* outbox, AuditEvent* audit)
      : plan_(std::move(plan)),
        check_(std::move(check)),
        domain_policy_(domain_policy),
        outbox_(outbox),
        audit_(audit) {}
  std::vector<RegistryError> errors;
  bool audit_committed = false;

  // The check, then the inserts, inside the submission's SAVEPOINT. Returns a non-OK
  // status only for failures that poison the whole group transaction.
  absl::StatusOr<Outcome> Apply(Connection& conn) override {
    audit_committed = false;
    WriteView view(conn);
    std::vector<RegistryError> refusals;
    absl::Status check_status;
    if (check_) {
      try {
        refusals = check_(view, &plan_);
      } catch (...) {  // the check is caller code; the writer thread must survive it
        check_status = absl::InternalError("submission check failed unexpectedly");
      }
    }
    if (check_status.ok()) check_status = view.first_error();
    if (!check_status.ok() || !refusals.empty()) {
      status = check_status;
      if (check_status.ok()) errors = std::move(refusals);
      return Outcome::kUndo;
    }

    absl::Status s = sqlite::InsertSubmission(conn, plan_.submission, plan_.submitting_organization, domain_policy_);
    if (s.ok() && domain_policy_ != nullptr) {
      s = sqlite::ApplyConsentDocuments(conn, *domain_policy_, plan_.submission.document_entries());
    }
    if (s.ok()) s = sqlite::DeprecateDocumentEntries(conn, plan_.deprecate_uuids);
    if (s.ok()) s = sqlite::TouchFolders(conn, plan_.touched_folder_uuids, plan_.last_update_time);
    if (s.ok()) s = sqlite::SetStatuses(conn, plan_.status_changes);
    if (s.ok()) s = sqlite::RemoveObjects(conn, plan_.remove_uuids);
    if (s.ok() && audit_ != nullptr) {
      audit_->set_outcome(0);  // success: the gate does not see this event again
      s = audit::OutboxMover::Put(conn, *audit_);
    }
    if (s.ok()) {
      audit_committed = audit_ != nullptr;
      return Outcome::kKeep;
    }

    // A constraint violation (an entryUUID the check did not catch) or a consent document
    // the domain cannot map is this submission's fault: undo just it. Anything else (I/O, full disk) fails the whole
    // group.
    if ((s.code() == absl::StatusCode::kAlreadyExists || s.code() == absl::StatusCode::kInvalidArgument) &&
        conn.InTransaction()) {
      status = s;
      return Outcome::kUndo;
    }
    return s;
  }

 private:
  void ForgetResult() override {
    errors.clear();
    audit_committed = false;  // not recorded after all
  }
  void Finish(const absl::Status& batch_status) override {
    Task::Finish(batch_status);
    if (batch_status.ok() && audit_committed) outbox_->Notify();
  }
  WritePlan plan_;
  SubmissionCheck check_;
  const policy::DomainPolicy* domain_policy_;
  audit::OutboxMover* outbox_;
  AuditEvent* audit_;
};

// One change that the store may refuse (its SAVEPOINT is then undone, its neighbours in the
// group commit) and whose audit event commits with it: a consent desk change, a patient merge.
template <typename Result>
class AuditedChangeTask : public Task {
 public:
  AuditedChangeTask(audit::OutboxMover* outbox, AuditEvent* audit) : outbox_(outbox), audit_(audit) {}
  Result result;
  absl::Status refusal;
  bool audit_committed = false;

  absl::StatusOr<Outcome> Apply(Connection& conn) final {
    result = Result();
    refusal = absl::OkStatus();
    audit_committed = false;
    if (absl::Status s = Change(conn); !s.ok()) return s;
    if (!refusal.ok()) return Outcome::kUndo;
    if (audit_ != nullptr) {
      Describe(*audit_);
      audit_->set_outcome(0);
      if (absl::Status s = audit::OutboxMover::Put(conn, *audit_); !s.ok()) return s;
      audit_committed = true;
    }
    return Outcome::kKeep;
  }

 protected:
  // Applies the change, or sets `refusal`; a non-OK status fails the whole group.
  virtual absl::Status Change(Connection& conn) = 0;
  // What the event learns only once the change is applied.
  virtual void Describe(AuditEvent& /*event*/) {}

 private:
  void ForgetResult() override {
    result = Result();
    audit_committed = false;
  }
  void Finish(const absl::Status& batch_status) override {
    Task::Finish(batch_status);
    if (batch_status.ok() && audit_committed) outbox_->Notify();
  }
  audit::OutboxMover* outbox_;
  AuditEvent* audit_;
};

class PolicyChangeTask : public AuditedChangeTask<PolicyChangeResult> {
 public:
  PolicyChangeTask(const PolicyChange& change, audit::OutboxMover* outbox, AuditEvent* audit)
      : AuditedChangeTask(outbox, audit), change_(change) {}

 private:
  absl::Status Change(Connection& conn) override { return sqlite::ApplyPolicyChange(conn, change_, &result, &refusal); }
  // The rule ids are known only now; the trail keeps them so a later "revoke rule N" can be
  // traced to its grant.
  void Describe(AuditEvent& event) override {
    if (result.rule_ids.empty() || change_.kind == PolicyChange::Kind::kRevokeRule) return;
    event.set_detail(absl::StrCat(event.detail(), event.detail().empty() ? "" : " ",
                                  result.rule_ids.size() == 1 ? "(rule " : "(rules ",
                                  absl::StrJoin(result.rule_ids, ", "), ")"));
  }
  const PolicyChange& change_;
};

class PatientMergeTask : public AuditedChangeTask<PatientMergeResult> {
 public:
  PatientMergeTask(const std::string& subsumed, const std::string& surviving, audit::OutboxMover* outbox,
                   AuditEvent* audit)
      : AuditedChangeTask(outbox, audit), subsumed_(subsumed), surviving_(surviving) {}

 private:
  absl::Status Change(Connection& conn) override {
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return sqlite::ApplyPatientMerge(conn, subsumed_, surviving_, now_ms, &result, &refusal);
  }
  const std::string& subsumed_;
  const std::string& surviving_;
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
  SqliteMetadataStore(std::string path, std::string audit_path, const policy::DomainPolicy* domain_policy,
                      std::unique_ptr<Connection> writer, std::unique_ptr<sqlite::ReaderPool> readers,
                      size_t max_group_size)
      : path_(std::move(path)),
        audit_path_(std::move(audit_path)),
        domain_policy_(domain_policy),
        readers_(std::move(readers)),
        writer_(std::move(writer), WriterOptions(max_group_size)) {}

  // The mover stops first (it uses the writer and the trail); the writer drains its queue
  // and stops before the readers close.
  ~SqliteMetadataStore() override { mover_.reset(); }

  absl::StatusOr<std::vector<RegistryError>> Submit(WritePlan plan, SubmissionCheck check, AuditEvent* audit,
                                                    bool* audit_committed) override {
    if (audit_committed != nullptr) *audit_committed = false;
    SubmitTask task(std::move(plan), std::move(check), domain_policy_, mover_.get(), audit);
    absl::Status queued = writer_.Run(task);
    if (audit_committed != nullptr) *audit_committed = queued.ok() && task.audit_committed;
    if (!queued.ok()) return queued;
    if (!task.status.ok()) return task.status;
    return std::move(task.errors);
  }

  absl::StatusOr<bool> AddPatient(const std::string& patient_id) override {
    AddPatientTask task(patient_id);
    if (absl::Status queued = writer_.Run(task); !queued.ok()) return queued;
    if (!task.status.ok()) return task.status;
    return task.added;
  }

  absl::StatusOr<policy::PatientPolicy> PatientPolicyOf(const std::string& patient_id) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return InSnapshot(r.conn(), [&](Connection& c) -> absl::StatusOr<policy::PatientPolicy> {
      absl::StatusOr<bool> known = sqlite::PatientKnown(c, patient_id);
      if (!known.ok()) return known.status();
      if (!*known) {
        return absl::NotFoundError(absl::StrCat("patient ", patient_id, " is not in the registry's patient index"));
      }
      return sqlite::ReadPatientPolicy(c, patient_id);
    });
  }

  absl::StatusOr<PolicyChangeResult> ChangePatientPolicy(const PolicyChange& change, AuditEvent* audit,
                                                         bool* audit_committed) override {
    if (audit_committed != nullptr) *audit_committed = false;
    // When the batch failed after Apply named the rule ids, they were rolled back: the
    // failure event the gate then records must not name them.
    const std::string detail = audit != nullptr ? audit->detail() : "";
    PolicyChangeTask task(change, mover_.get(), audit);
    absl::Status queued = writer_.Run(task);
    const bool committed = queued.ok() && task.audit_committed;
    if (audit_committed != nullptr) *audit_committed = committed;
    if (audit != nullptr && !committed) audit->set_detail(detail);
    if (!queued.ok()) return queued;
    if (!task.status.ok()) return task.status;
    if (!task.refusal.ok()) return task.refusal;
    return std::move(task.result);
  }

  absl::StatusOr<PatientMergeResult> MergePatients(const std::string& subsumed, const std::string& surviving,
                                                   AuditEvent* audit, bool* audit_committed) override {
    if (audit_committed != nullptr) *audit_committed = false;
    PatientMergeTask task(subsumed, surviving, mover_.get(), audit);
    absl::Status queued = writer_.Run(task);
    if (audit_committed != nullptr) *audit_committed = queued.ok() && task.audit_committed;
    if (!queued.ok()) return queued;
    if (!task.status.ok()) return task.status;
    if (!task.refusal.ok()) return task.refusal;
    return task.result;
  }

  absl::StatusOr<PatientLinks> PatientLinksOf(const std::string& patient_id) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return InSnapshot(r.conn(), [&](Connection& c) { return sqlite::ReadPatientLinks(c, patient_id); });
  }

  absl::StatusOr<bool> PatientKnown(const std::string& patient_id) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::PatientKnown(r.conn(), patient_id);
  }
  absl::StatusOr<std::vector<std::string>> ListPatients() override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::ListPatients(r.conn());
  }
  absl::StatusOr<std::vector<DocumentEntry>> FindDocumentEntries(const DocumentEntryFilter& filter) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::FindDocumentEntries(r.conn(), filter);
  }
  absl::StatusOr<std::vector<SubmissionSet>> FindSubmissionSets(const PackageFilter& filter) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::FindSubmissionSets(r.conn(), filter);
  }
  absl::StatusOr<std::vector<Folder>> FindFolders(const PackageFilter& filter) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::FindFolders(r.conn(), filter);
  }
  absl::StatusOr<std::vector<Association>> FindAssociations(const std::vector<std::string>& uuids,
                                                            const std::vector<std::string>& types) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return InSnapshot(r.conn(), [&](Connection& c) { return sqlite::FindAssociations(c, uuids, types); });
  }
  absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(const std::vector<std::string>& uuids) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return InSnapshot(r.conn(), [&](Connection& c) { return sqlite::FindObjects(c, uuids); });
  }
  absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessOf(const std::vector<std::string>& uuids) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::DocumentAccessOf(r.conn(), uuids);
  }
  absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessByUniqueId(
      const std::vector<std::string>& unique_ids) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::DocumentAccessByUniqueId(r.conn(), unique_ids);
  }
  absl::StatusOr<int64_t> CountObjects(ObjectKind kind) override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::CountObjects(r.conn(), kind);
  }
  absl::StatusOr<StoreStats> Stats() override {
    sqlite::ReaderPool::Lease r(*readers_);
    return sqlite::ReadStats(r.conn(), path_);
  }
  // On a connection of its own, so the reader pool stays free for queries meanwhile. The
  // trail goes to PATH.audit; rows still in the outbox are in PATH and move when a
  // registry opens it with its trail.
  absl::Status Backup(const std::string& path) override {
    std::error_code ec;
    if (std::filesystem::exists(AuditBackupPath(path), ec)) {
      return absl::AlreadyExistsError(absl::StrCat(AuditBackupPath(path), " already exists; backups never overwrite"));
    }
    if (absl::Status s = sqlite::BackupDatabase(path_, path); !s.ok()) return s;
    return sqlite::BackupDatabase(audit_path_, AuditBackupPath(path));
  }

  audit::Trail& audit_trail() override { return *trail_; }
  absl::Status OpenTrail(bool move_outbox) {
    absl::StatusOr<std::unique_ptr<audit::SqliteTrail>> trail = audit::SqliteTrail::Open(audit_path_);
    if (!trail.ok()) return trail.status();
    trail_ = *std::move(trail);
    absl::StatusOr<std::unique_ptr<audit::OutboxMover>> mover =
        audit::OutboxMover::Start(&writer_, path_, trail_.get(), move_outbox);
    if (!mover.ok()) return mover.status();
    mover_ = *std::move(mover);
    return absl::OkStatus();
  }

 private:
  static sqlite::GroupCommitWriter::Options WriterOptions(size_t max_group_size) {
    sqlite::GroupCommitWriter::Options options;
    options.max_batch = max_group_size;
    options.name = "metadata store";
    return options;
  }

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

  const std::string path_;
  const std::string audit_path_;
  const policy::DomainPolicy* const domain_policy_;  // classifies new entries; may be null
  std::unique_ptr<sqlite::ReaderPool> readers_;
  sqlite::GroupCommitWriter writer_;
  std::unique_ptr<audit::SqliteTrail> trail_;  // in audit_path_, with its own writer
  std::unique_ptr<audit::OutboxMover> mover_;  // outbox rows of writer_'s database to trail_
};

// One transaction: a crash halfway leaves the old classification and its fingerprint.
absl::Status Reclassify(Connection& conn, const policy::DomainPolicy& domain_policy) {
  if (absl::Status s = conn.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::StatusOr<int64_t> n = sqlite::ReclassifyDocuments(conn, domain_policy);
  absl::Status s = n.ok() ? conn.Exec("COMMIT") : n.status();
  if (!s.ok()) {
    if (conn.InTransaction()) conn.Exec("ROLLBACK").IgnoreError();
    return s;
  }
  if (*n > 0) std::cerr << "metadata store: classified " << *n << " document entries for the access policy\n";
  return absl::OkStatus();
}

}  // namespace

std::string AuditBackupPath(const std::string& backup_path) { return backup_path + ".audit"; }

absl::StatusOr<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const SqliteOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("metadata store path is empty");
  absl::StatusOr<std::unique_ptr<Connection>> writer = Connection::Open(options.path, /*read_only=*/false);
  if (!writer.ok()) return writer.status();
  if (absl::Status s = (*writer)->Exec(absl::StrCat("PRAGMA busy_timeout = ", kBusyTimeoutMs)); !s.ok()) return s;
  if (absl::Status s = ConfigureWriter(**writer); !s.ok()) return s;
  if (absl::Status s = sqlite::Migrate(**writer); !s.ok()) return s;
  if (absl::Status s = audit::OutboxMover::CreateSchema(**writer); !s.ok()) return s;
  if (options.domain_policy != nullptr) {
    if (absl::Status s = Reclassify(**writer, *options.domain_policy); !s.ok()) return s;
  }

  // Reads through a memory map: index pages are not copied out of the page cache per lookup.
  absl::StatusOr<std::unique_ptr<sqlite::ReaderPool>> readers =
      sqlite::ReaderPool::Open(options.path, options.reader_connections, /*read_only=*/true,
                               absl::StrCat("PRAGMA busy_timeout = ", kBusyTimeoutMs,
                                            "; PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -262144"));
  if (!readers.ok()) return readers.status();
  auto store = std::make_unique<SqliteMetadataStore>(
      options.path, options.audit_path.empty() ? options.path + ".audit" : options.audit_path, options.domain_policy,
      *std::move(writer), *std::move(readers), options.max_group_size);
  if (absl::Status s = store->OpenTrail(options.move_audit_outbox); !s.ok()) return s;
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace xds
