// SQL of the SQLite metadata store: reads usable on any connection (pooled readers, or the
// write connection inside the group transaction for RegistryView), and the writes the
// writer thread performs. Values are always bound parameters; only the SQL shape (how
// many `?`) depends on the input.
#ifndef XDS_REGISTRY_STORE_SQLITE_QUERIES_H_
#define XDS_REGISTRY_STORE_SQLITE_QUERIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/xds_metadata.pb.h"
#include "registry/shared/sqlite/sqlite_connection.h"
#include "registry/store/metadata_store.h"

namespace xds::sqlite {

// A query's text and its parameters in placeholder order.
struct Query {
  std::string sql;
  std::vector<SqlValue> params;
};

// The SELECT behind FindDocumentEntries / FindSubmissionSets / FindFolders; first column is
// the blob. Exposed so that tests can EXPLAIN QUERY PLAN exactly what runs.
Query BuildDocumentEntryQuery(const DocumentEntryFilter& filter);
Query BuildSubmissionSetQuery(const PackageFilter& filter);
Query BuildFolderQuery(const PackageFilter& filter);

// Reads.
absl::StatusOr<std::vector<DocumentEntry>> FindDocumentEntries(Connection& conn, const DocumentEntryFilter& f);
absl::StatusOr<std::vector<SubmissionSet>> FindSubmissionSets(Connection& conn, const PackageFilter& f);
absl::StatusOr<std::vector<Folder>> FindFolders(Connection& conn, const PackageFilter& f);
absl::StatusOr<std::vector<Association>> FindAssociations(Connection& conn, const std::vector<std::string>& uuids,
                                                          const std::vector<std::string>& types);
absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(Connection& conn, const std::vector<std::string>& uuids);
absl::StatusOr<std::vector<DocumentEntry>> DocumentEntriesByUniqueId(Connection& conn, const std::string& unique_id);
absl::StatusOr<bool> UniqueIdRegistered(Connection& conn, const std::string& unique_id);
absl::StatusOr<std::vector<Association>> AssociationsOf(Connection& conn, const std::string& uuid);
absl::StatusOr<std::vector<Association>> AssociationsById(Connection& conn, const std::vector<std::string>& uuids);
absl::StatusOr<bool> PatientKnown(Connection& conn, const std::string& patient_id);
absl::StatusOr<std::vector<std::string>> ListPatients(Connection& conn);
absl::StatusOr<int64_t> CountObjects(Connection& conn, ObjectKind kind);

absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessOf(Connection& conn, const std::vector<std::string>& uuids);
absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessByUniqueId(Connection& conn,
                                                                     const std::vector<std::string>& unique_ids);

// Writes; the caller holds the transaction.
// `domain_policy` (may be null) classifies the DocumentEntries for document_access.
absl::Status InsertSubmission(Connection& conn, const Submission& submission, const std::string& submitting_org,
                              const policy::DomainPolicy* domain_policy);
// Classifies every DocumentEntry anew when the domain policy's classification differs from
// the one store_meta records (then records it). Returns how many entries were classified.
absl::StatusOr<int64_t> ReclassifyDocuments(Connection& conn, const policy::DomainPolicy& domain_policy);
// Sets status Deprecated in the column and in the stored DocumentEntry. Unknown uuids are
// skipped (the check decides what may be deprecated).
absl::Status DeprecateDocumentEntries(Connection& conn, const std::vector<std::string>& uuids);
// Sets lastUpdateTime (column normalised, blob verbatim) on existing Folders.
absl::Status TouchFolders(Connection& conn, const std::vector<std::string>& uuids, const std::string& time);
// Sets availabilityStatus (column and stored object) of DocumentEntries and Folders.
// Unknown uuids are skipped (the check decides what may change).
absl::Status SetStatuses(Connection& conn, const std::vector<std::pair<std::string, AvailabilityStatus>>& changes);
// Deletes objects of any kind by entryUUID with their codes, authors and reference ids.
absl::Status RemoveObjects(Connection& conn, const std::vector<std::string>& uuids);
// True when the patient was new.
absl::StatusOr<bool> InsertPatient(Connection& conn, const std::string& patient_id);

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_STORE_SQLITE_QUERIES_H_
