// The Document Registry: ITI-42 registration, ITI-18 stored queries, the patient index and
// the store's administration, on the canonical model. It is the one way into the store:
// the SOAP endpoint and the gRPC service are thin adapters that build a CallContext and
// call it, and every call passes the registry's CallGate (authorisation before the
// transaction, audit after it).
#ifndef XDS_REGISTRY_REGISTRY_H_
#define XDS_REGISTRY_REGISTRY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/audit.pb.h"
#include "proto/consent.pb.h"
#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"
#include "registry/policy/policy.h"
#include "registry/shared/service/call_gate.h"
#include "registry/shared/validation/metadata_validator.h"
#include "registry/store/metadata_store.h"

namespace xds {

struct RegistryOptions {
  // Assigning-authority OID of the affinity domain; patient ids admitted to the index must
  // use it (CX `id^^^&OID&ISO`). Empty = any authority.
  std::string patient_authority;
  std::string home_community_id;  // urn:oid:..., set as `home` on returned objects when not empty
  ValidationOptions validation;
  size_t max_leaf_class_results = 1000;   // larger LeafClass answers get XDSTooManyResults
  size_t max_object_ref_results = 10000;  // likewise for ObjectRef
  // Backups are written only inside this absolute directory on the registry's host (empty:
  // no backups).
  std::string backup_dir;
  GateOptions gate;  // rights from the certificate on mutual TLS
  // The affinity domain's policy (--policy_file); absent: no consent enforcement. For now
  // only the consent desk reads it, to refuse organisation and data categories the domain
  // does not know (a rule naming one would never match).
  std::optional<policy::DomainPolicy> domain_policy;
};

struct BackupResult {
  std::string path;
  int64_t bytes = 0;
  int64_t duration_ms = 0;
};

class Registry {
 public:
  Registry(std::unique_ptr<MetadataStore> store, RegistryOptions options);

  // ITI-42: validates the submission, assigns entryUUIDs to symbolic ids, and stores it all
  // or nothing. Failure responses list every error found. A caller the gate refuses gets
  // its PermissionDenied status (a SOAP Fault, a gRPC PERMISSION_DENIED), nothing else:
  // `decode_errors` (a body the edge could not decode) are the answer only for a caller
  // the gate admits.
  absl::StatusOr<RegistryResponse> Register(const CallContext& context, Submission submission,
                                            std::vector<RegistryError> decode_errors = {});

  // ITI-18; refusals and `decode_errors` as for Register.
  absl::StatusOr<StoredQueryResponse> StoredQuery(const CallContext& context, const StoredQueryRequest& request,
                                                  std::vector<RegistryError> decode_errors = {});

  // ITI-57 Update Document Set (XDS Metadata Update): availabilityStatus changes and new
  // DocumentEntry versions, all or nothing (iti57/). Refusals and `decode_errors` as for
  // Register.
  absl::StatusOr<RegistryResponse> UpdateDocumentSet(const CallContext& context, Submission submission,
                                                     std::vector<RegistryError> decode_errors = {});

  // ITI-62 Remove Metadata (RMD): deletes the named objects all or nothing, after the
  // metadata-model checks of iti62/. Refusals and `decode_errors` as for Register.
  absl::StatusOr<RegistryResponse> RemoveMetadata(const CallContext& context, const RemoveMetadataRequest& request,
                                                  std::vector<RegistryError> decode_errors = {});

  // Patient index. Returns an InvalidArgument status for ids that are not CX of the domain.
  absl::StatusOr<bool> AddPatient(const CallContext& context, const std::string& patient_id);
  absl::StatusOr<std::vector<std::string>> ListPatients(const CallContext& context);

  // Administration. Store failures come back as Unavailable with a message safe to show
  // the caller; their detail goes to the log.
  absl::StatusOr<StoreStats> Stats(const CallContext& context);
  // Only absolute paths inside options().backup_dir, of files that do not exist yet: a
  // client can neither write elsewhere nor overwrite anything.
  absl::StatusOr<BackupResult> Backup(const CallContext& context, const std::string& path);

  // The region's audit store (AuditService). A node delivers its own events (RecordAudit;
  // its certificate must carry the source right): they are kept under its certificate's
  // subject as origin, each once. AuditLog (one patient's access log) and VerifyAudit are
  // administrators' and are themselves recorded.
  absl::StatusOr<RecordAuditResponse> RecordAudit(const CallContext& context, std::vector<AuditEvent> events);
  absl::StatusOr<AuditLogResponse> AuditLog(const CallContext& context, const AuditLogRequest& request);
  absl::StatusOr<VerifyAuditResponse> VerifyAudit(const CallContext& context);

  // The consent desk (proto/consent.proto, issue 16): administrators record her consent
  // rules, treatment relationships and exclusions. Each call is in her access log, what
  // changed in the event's detail, committed with the change. NotFound for an unknown
  // patient or rule, or nothing to revoke, end or lift; InvalidArgument for a malformed
  // request. Nothing is enforced on ITI-18/43 yet.
  absl::StatusOr<ConsentChangeResponse> ConsentAddRule(const CallContext& context, const ConsentRuleRequest& request,
                                                       policy::Effect effect);
  absl::StatusOr<ConsentChangeResponse> ConsentRevoke(const CallContext& context, const ConsentRevokeRequest& request);
  absl::StatusOr<PatientConsent> ConsentList(const CallContext& context, const ConsentListRequest& request);
  absl::StatusOr<ConsentChangeResponse> ConsentRelationship(const CallContext& context,
                                                            const ConsentSubjectRequest& request, bool start);
  absl::StatusOr<ConsentChangeResponse> ConsentExclusion(const CallContext& context,
                                                         const ConsentSubjectRequest& request, bool exclude);

  // A request refused at the edge before any transaction (see CallGate::Refused).
  void RecordEdgeRefusal(const CallContext& context, std::string_view transaction, std::string_view code,
                         std::string_view detail) const {
    gate_.Refused(context, transaction, code, detail);
  }

  const RegistryOptions& options() const { return options_; }

 private:
  // Refusals (the gate's, or a request the registry rejects) go back to the caller as they
  // are; a store failure becomes a status safe to show the caller, its detail logged.
  static absl::Status Denied(const absl::Status& status, CallOutcome& outcome);
  static absl::Status Unavailable(const absl::Status& status, CallOutcome& outcome);

  // One consent desk change: `build` checks the request and says what to change (and how
  // the trail describes it).
  absl::StatusOr<ConsentChangeResponse> ChangeConsent(
      const CallContext& context, std::string_view transaction, const std::string& patient_id,
      const std::function<absl::StatusOr<PolicyChange>(std::string* detail)>& build);

  std::unique_ptr<MetadataStore> store_;
  RegistryOptions options_;
  CallGate gate_;
};

// The transactions, run by Registry once the gate admitted the call. Store failures are
// answered with an XDS error safe for the sender; their detail goes to `outcome`.
namespace iti42 {
RegistryResponse Register(MetadataStore& store, const RegistryOptions& options, Submission submission,
                          CallOutcome& outcome);
// The steps of Register that ITI-57 shares: symbolic ids to UUIDs (first versions get
// lid = id, version 1, Approved), and the checks against the registry (inside the write).
void AssignIds(Submission* submission);
std::vector<RegistryError> CheckAgainstRegistry(RegistryView& view, WritePlan* plan);
}  // namespace iti42
namespace iti57 {
RegistryResponse UpdateDocumentSet(MetadataStore& store, const RegistryOptions& options, Submission submission,
                                   CallOutcome& outcome);
}
namespace iti62 {
RegistryResponse RemoveMetadata(MetadataStore& store, const RemoveMetadataRequest& request, CallOutcome& outcome);
}
namespace iti18 {
StoredQueryResponse StoredQuery(MetadataStore& store, const RegistryOptions& options, const StoredQueryRequest& request,
                                CallOutcome& outcome);
}

// The registry's clock for lastUpdateTime.
std::string CurrentDtm();  // UTC, 14 digits

}  // namespace xds

#endif  // XDS_REGISTRY_REGISTRY_H_
