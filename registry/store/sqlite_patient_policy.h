// SQL of the patient policy (schema version 3): reading her policy on any connection, and
// applying one consent desk change on the write connection inside the writer's transaction.
#ifndef XDS_REGISTRY_STORE_SQLITE_PATIENT_POLICY_H_
#define XDS_REGISTRY_STORE_SQLITE_PATIENT_POLICY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "registry/policy/bppc.h"
#include "registry/policy/policy.h"
#include "registry/shared/sqlite/sqlite_connection.h"
#include "registry/store/metadata_store.h"

namespace xds::sqlite {

// Her policy as stored (no check that she is in the patient index).
absl::StatusOr<policy::PatientPolicy> ReadPatientPolicy(Connection& conn, const std::string& patient_id);

// Applies `change`; the caller holds the transaction. Returns a non-OK status only for store
// failures; a refused change (unknown patient or rule, nothing to revoke) sets *refusal,
// and the caller must undo whatever this wrote.
absl::Status ApplyPolicyChange(Connection& conn, const PolicyChange& change, PolicyChangeResult* result,
                               absl::Status* refusal);

// Applies the BPPC consent documents among `entries` (policy::IsConsentDocument) to their
// patients' policies: a document at least as new as the one applied last replaces her BPPC
// rules (policy::ApplyConsentDocument). The caller holds the transaction; a document the
// domain cannot map is InvalidArgument (the submission check refuses those first).
absl::Status ApplyConsentDocuments(Connection& conn, const policy::DomainPolicy& domain,
                                   const google::protobuf::RepeatedPtrField<DocumentEntry>& entries);

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_STORE_SQLITE_PATIENT_POLICY_H_
