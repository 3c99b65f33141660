// SQL of the patient identity feed's merge (issue 17): moving a subsumed patient id's
// registry objects to the surviving id, and what the index knows about an id's merges.
#ifndef XDS_REGISTRY_STORE_SQLITE_PATIENT_MERGE_H_
#define XDS_REGISTRY_STORE_SQLITE_PATIENT_MERGE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "registry/shared/sqlite/sqlite_connection.h"
#include "registry/store/metadata_store.h"

namespace xds::sqlite {

// Applies `subsumed` -> `surviving` on the write connection, inside the caller's
// transaction (savepoint). Returns the store failure, if any; a request the index refuses
// (the surviving id was itself merged away) comes back in *refusal with nothing written.
absl::Status ApplyPatientMerge(Connection& conn, const std::string& subsumed, const std::string& surviving,
                               int64_t at_ms, PatientMergeResult* result, absl::Status* refusal);

absl::StatusOr<PatientLinks> ReadPatientLinks(Connection& conn, const std::string& patient_id);

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_STORE_SQLITE_PATIENT_MERGE_H_
