// The registry's storage, behind a narrow interface so that a PostgreSQL implementation
// can sit beside the SQLite one. Errors are absl::Status values, never exceptions.
#ifndef XDS_REGISTRY_STORE_METADATA_STORE_H_
#define XDS_REGISTRY_STORE_METADATA_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/audit.pb.h"
#include "proto/xds_metadata.pb.h"
#include "registry/policy/decide.h"
#include "registry/policy/policy.h"
#include "registry/shared/audit/trail.h"

namespace xds {

// Kind of a stored registry object.
enum class ObjectKind { kDocumentEntry, kSubmissionSet, kFolder, kAssociation };

struct DocumentEntryFilter;
struct PackageFilter;

// The facts about an already registered object that validation needs.
struct StoredObjectInfo {
  std::string entry_uuid;
  ObjectKind kind;
  std::string patient_id;  // empty for associations
  AvailabilityStatus status;
  DocumentEntryType document_type = DOCUMENT_ENTRY_TYPE_UNSPECIFIED;  // DocumentEntries only
};

// Read access to committed registry state from inside a write transaction: everything a
// submission is checked against (TF-2 3.42.4.1.3). Valid only during the check callback.
class RegistryView {
 public:
  virtual ~RegistryView() = default;
  virtual absl::StatusOr<bool> PatientKnown(const std::string& patient_id) = 0;
  // Objects whose entryUUID is in `uuids`; unknown uuids are simply absent.
  virtual absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(const std::vector<std::string>& uuids) = 0;
  // DocumentEntries registered with this uniqueId (several are allowed, same hash/size).
  virtual absl::StatusOr<std::vector<DocumentEntry>> DocumentEntriesByUniqueId(const std::string& unique_id) = 0;
  // True when any DocumentEntry, SubmissionSet or Folder already carries this uniqueId.
  virtual absl::StatusOr<bool> UniqueIdRegistered(const std::string& unique_id) = 0;
  // Associations (any status) whose source or target is `uuid`.
  virtual absl::StatusOr<std::vector<Association>> AssociationsOf(const std::string& uuid) = 0;
  // The associations whose entryUUID is in `uuids`; unknown ones are absent.
  virtual absl::StatusOr<std::vector<Association>> AssociationsById(const std::vector<std::string>& uuids) = 0;
  // DocumentEntries and Folders as FindDocumentEntries / FindFolders find them (e.g. every
  // version of a logicalId).
  virtual absl::StatusOr<std::vector<DocumentEntry>> DocumentEntries(const DocumentEntryFilter& filter) = 0;
  virtual absl::StatusOr<std::vector<Folder>> Folders(const PackageFilter& filter) = 0;
};

// What a checked submission changes besides inserting its own objects.
struct WritePlan {
  Submission submission;                          // ids all urn:uuid:, statuses set
  std::vector<std::string> deprecate_uuids;       // DocumentEntries that RPLC/XFRM_RPLC deprecate
  std::vector<std::string> touched_folder_uuids;  // existing Folders whose lastUpdateTime is set
  std::string last_update_time;                   // DTM used for touched folders
  // The organisation that registers it (the source's certificate; issue 16): kept per
  // DocumentEntry, it always sees its own submissions. Empty when unknown (plain transport).
  std::string submitting_organization;
  // ITI-62 Remove Metadata: objects of any kind deleted with their codes, authors and
  // reference ids, after the inserts above.
  std::vector<std::string> remove_uuids;
  // ITI-57 UpdateAvailabilityStatus and new versions: DocumentEntries and Folders whose
  // availabilityStatus becomes the one given (column and stored object).
  std::vector<std::pair<std::string, AvailabilityStatus>> status_changes;
};

// Runs inside the write transaction. Returns the errors that refuse the change (none to
// accept), and may fill in the rest of the plan (deprecations, touched folders, removals,
// status changes): ITI-42, ITI-57 and ITI-62 are all one checked WritePlan.
using SubmissionCheck = std::function<std::vector<RegistryError>(RegistryView& view, WritePlan* plan)>;

// Filter for FindDocuments-like lookups. Empty vectors mean "no constraint". Each inner
// vector of a *_all list is one OR-group; groups are ANDed (TF-2 3.18.4.1.2.3.5).
// A CodeRef with an empty scheme matches that code in any coding scheme.
// Author patterns use SQLite LIKE: % and _ are wildcards and ASCII letters match
// case-insensitively. Results come back in registration order.
struct CodeRef {
  std::string code;
  std::string scheme;
};
struct DocumentEntryFilter {
  std::vector<std::string> patient_ids;
  std::vector<AvailabilityStatus> statuses;
  std::vector<DocumentEntryType> types;  // empty = any
  std::vector<CodeRef> class_codes, type_codes, practice_setting_codes, healthcare_facility_type_codes, format_codes;
  std::vector<std::vector<CodeRef>> event_codes_all, confidentiality_codes_all;
  std::vector<std::string> author_person_patterns;          // SQL LIKE (% and _), OR
  std::vector<std::string> reference_ids;                   // exact, OR
  std::vector<std::vector<std::string>> reference_ids_all;  // exact; OR within a group, groups ANDed
  // DTM bounds, already normalised to 14 digits; From inclusive, To exclusive. Empty = open.
  // An entry without serviceStartTime (serviceStopTime) passes the service_start_*
  // (service_stop_*) bounds; one without creationTime fails the creation_* bounds.
  std::string creation_from, creation_to, service_start_from, service_start_to, service_stop_from, service_stop_to;
  std::vector<std::string> entry_uuids;  // exact, OR
  std::vector<std::string> unique_ids;   // exact, OR
  std::vector<std::string> logical_ids;  // exact, OR
  size_t limit = 0;                      // 0 = unlimited; otherwise at most limit+1 rows
  // ObjectRef answers need only ids: fill header.entry_uuid and patient_id, skip the
  // stored objects (no blob read or parse).
  bool ids_only = false;
  // The access policy (issue 16), applied in SQL against each entry's DocumentAccess so
  // that neither the limit nor the rows read count entries the requester may not see.
  // Meaningful only with patient_ids naming that one patient. Null: no policy.
  const policy::Visibility* visibility = nullptr;
};

// What the access policy needs to know of a stored DocumentEntry, kept beside it: who
// registered it, and how the domain policy classifies it (reclassified when the policy's
// ClassificationFingerprint changes). Without a domain policy data_category is empty.
struct DocumentAccess {
  std::string entry_uuid;
  std::string unique_id;
  std::string patient_id;
  std::string submitting_organization;
  std::string data_category;
  bool restricted = false;
};

// SubmissionSets and Folders. Fields marked for one kind are ignored by the other's Find.
struct PackageFilter {
  std::vector<std::string> patient_ids;
  std::vector<AvailabilityStatus> statuses;
  std::vector<std::string> entry_uuids, unique_ids, source_ids;
  std::vector<std::string> logical_ids;                // Folder, exact, OR
  std::vector<CodeRef> content_type_codes;             // SubmissionSet, OR
  std::vector<std::vector<CodeRef>> folder_codes_all;  // Folder, AND of ORs
  std::vector<std::string> author_person_patterns;     // SubmissionSet, LIKE, OR
  std::string time_from, time_to;                      // submissionTime (SS) / lastUpdateTime (Folder), 14 digits
  size_t limit = 0;
};

// What `xdsctl stats` shows. Keys are readable: "Approved"/"Deprecated" for statuses,
// "code^^scheme" for classCodes, the repositoryUniqueId for repositories.
struct StoreStats {
  int64_t patients = 0;
  std::vector<std::pair<std::string, int64_t>> document_entries_by_status, submission_sets_by_status, folders_by_status,
      document_entries_by_class_code, document_entries_by_repository;
  int64_t associations = 0;
  int64_t store_bytes = 0;  // database file plus WAL
};

// One change of a patient's policy (issue 16), as the consent desk makes it.
struct PolicyChange {
  enum class Kind {
    kAddRule,            // `rule` (its id is assigned); the same rule again changes nothing
    kRevokeRule,         // the rule `rule_id`
    kRevokeSubject,      // every rule of `subject` (of `data_category` only, when not empty)
    kStartRelationship,  // with `subject` from `at_ms`; nothing when one is ongoing
    kEndRelationship,    // the ongoing relationships with `subject` end at `at_ms`
    kExclude,            // `subject` excluded from `at_ms`; nothing when already excluded
    kUnexclude,          // the active exclusions of `subject` end at `at_ms`
  };
  Kind kind = Kind::kAddRule;
  std::string patient_id;
  policy::ConsentRule rule;
  std::string rule_id;
  policy::Subject subject;
  std::string data_category;
  int64_t at_ms = 0;  // UTC ms: when relationships and exclusions start or end
};

struct PolicyChangeResult {
  bool changed = false;               // false when the change was already in place
  std::vector<std::string> rule_ids;  // the rule added (or its twin found), or those revoked
  policy::PatientPolicy policy;       // hers after the change
};

// What a patient merge (ITI-8 A40, ITI-44 merge) did.
struct PatientMergeResult {
  bool surviving_added = false;                                    // the surviving id was new to the index
  int64_t document_entries = 0, submission_sets = 0, folders = 0;  // moved to the surviving id
};

// An id's merges, as `xdsctl patient show` reports them.
struct PatientLinks {
  bool in_index = false;     // admitted once (a subsumed id stays, no longer known)
  std::string merged_into;   // the surviving id this one was merged into; empty if none
  int64_t merged_at_ms = 0;  // when, UTC ms
  struct Merged {
    std::string id;
    int64_t at_ms = 0;
  };
  std::vector<Merged> merged_from;  // ids merged into this one (directly or through a chain)
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Checks and commits one submission atomically and durably: runs `check` against the
  // committed state inside the write transaction; when it returns no errors, inserts every
  // object of plan.submission and applies the plan's status/lastUpdateTime changes and
  // removals (ITI-42, ITI-57 and ITI-62 all write through here). Either
  // all of it is durable when this returns an empty vector, or nothing was written.
  // Thread-safe; concurrent callers are committed in groups (one fsync for many).
  // A non-OK status means nothing of this submission was written: the store failed (disk,
  // corruption; then the whole group fails), a RegistryView read inside the check failed,
  // or an entryUUID already exists (AlreadyExists; only when the check let a duplicate
  // entryUUID through). `check` runs on the writer thread: it must not call
  // Submit or AddPatient (deadlock); it may call the read methods.
  // `audit`, when not null, is the submission's audit event: when the submission is
  // accepted it commits in the same transaction (into the store's audit outbox, moved to
  // the trail right after) and *audit_committed is set, so that a registration and its
  // record commit together.
  virtual absl::StatusOr<std::vector<RegistryError>> Submit(WritePlan plan, SubmissionCheck check,
                                                            AuditEvent* audit = nullptr,
                                                            bool* audit_committed = nullptr) = 0;

  // Patient index. AddPatient returns false when the id was already known; it is durable
  // when it returns (committed by the writer like a submission).
  virtual absl::StatusOr<bool> AddPatient(const std::string& patient_id) = 0;
  virtual absl::StatusOr<bool> PatientKnown(const std::string& patient_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListPatients() = 0;

  // Merges `subsumed` into `surviving` (the patient identity feed, issue 17) in one
  // transaction through the writer: every DocumentEntry, SubmissionSet and Folder of the
  // subsumed id is moved to the surviving id (column and stored object), the surviving id
  // is admitted if new, and the subsumed id is no longer known (PatientKnown false; a new
  // submission for it gets XDSUnknownPatientId). Ids merged into the subsumed one before
  // follow it. FailedPrecondition, nothing written, when `surviving` was itself merged
  // away. `audit` as for Submit. The same id twice is the caller's to refuse.
  virtual absl::StatusOr<PatientMergeResult> MergePatients(const std::string& subsumed, const std::string& surviving,
                                                           AuditEvent* audit = nullptr,
                                                           bool* audit_committed = nullptr) = 0;
  // What the index knows about `patient_id`'s merges (all fields empty for a stranger).
  virtual absl::StatusOr<PatientLinks> PatientLinksOf(const std::string& patient_id) = 0;

  // The patient's policy (issue 16): her consent rules, treatment relationships and
  // exclusions, in the order they were recorded. NotFound for a patient not in the index.
  virtual absl::StatusOr<policy::PatientPolicy> PatientPolicyOf(const std::string& patient_id) = 0;
  // Applies one change atomically through the writer (concurrent changes are serialised,
  // none is lost) and returns her policy after it. Refusals change nothing: NotFound for a
  // patient not in the index, an unknown rule id, or nothing to revoke, end or lift.
  // `audit`, when not null, is committed in the same transaction when the change is
  // applied, as for Submit (*audit_committed set; the ids of the rules added or revoked
  // appended to its detail).
  virtual absl::StatusOr<PolicyChangeResult> ChangePatientPolicy(const PolicyChange& change,
                                                                 AuditEvent* audit = nullptr,
                                                                 bool* audit_committed = nullptr) = 0;

  // Reads (pooled readers, thread-safe). Results carry the full objects as registered.
  virtual absl::StatusOr<std::vector<DocumentEntry>> FindDocumentEntries(const DocumentEntryFilter& filter) = 0;
  virtual absl::StatusOr<std::vector<SubmissionSet>> FindSubmissionSets(const PackageFilter& filter) = 0;
  virtual absl::StatusOr<std::vector<Folder>> FindFolders(const PackageFilter& filter) = 0;
  // Associations (any status) whose source or target is in `source_or_target_uuids`,
  // optionally restricted to `types` (full URNs; empty = any). An empty uuid list is
  // InvalidArgument.
  virtual absl::StatusOr<std::vector<Association>> FindAssociations(
      const std::vector<std::string>& source_or_target_uuids, const std::vector<std::string>& types) = 0;
  virtual absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(const std::vector<std::string>& uuids) = 0;
  // The DocumentAccess of the DocumentEntries among `uuids` (other objects and unknown
  // uuids are absent), without reading the entries themselves.
  virtual absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessOf(const std::vector<std::string>& uuids) = 0;
  // Likewise by document uniqueId (ITI-43's access decision).
  virtual absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessByUniqueId(
      const std::vector<std::string>& unique_ids) = 0;

  // Counts for stats and tests.
  virtual absl::StatusOr<int64_t> CountObjects(ObjectKind kind) = 0;
  virtual absl::StatusOr<StoreStats> Stats() = 0;

  // Writes a consistent copy of the committed state to `path` (a new file, written beside
  // it under a temporary name and renamed into place) while submissions continue.
  virtual absl::Status Backup(const std::string& path) = 0;

  // The registry's audit trail, in a database of its own (SqliteOptions::audit_path;
  // Backup copies it too, to AuditBackupPath).
  virtual audit::Trail& audit_trail() = 0;
};

struct SqliteOptions {
  std::string path;             // database file; created with its schema when absent
  int reader_connections = 4;   // pooled read-only connections
  size_t max_group_size = 256;  // submissions committed per transaction at most
  // The audit trail's database; empty: PATH.audit. Its own file, so that the trail's
  // commits leave the store readers' caches alone.
  std::string audit_path;
  // Tests: false leaves events in the outbox (as a crash before the move would).
  bool move_audit_outbox = true;
  // Classifies each DocumentEntry for the access policy (DocumentAccess). When its
  // ClassificationFingerprint differs from the one the store was classified with, every
  // entry is reclassified at open (about N s per million entries, once).
  const policy::DomainPolicy* domain_policy = nullptr;
};

// Where Backup(path) writes the trail.
std::string AuditBackupPath(const std::string& backup_path);

// Opens (creating or migrating) a SQLite metadata store: WAL, synchronous=FULL on commit.
absl::StatusOr<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const SqliteOptions& options);

}  // namespace xds

#endif  // XDS_REGISTRY_STORE_METADATA_STORE_H_
