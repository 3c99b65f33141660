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
#include "registry/access/access_guard.h"
#include "registry/access/policy_clock.h"
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
  // The affinity domain's policy (--policy_file); null: no consent enforcement. The store
  // classifies entries with the same object (SqliteOptions::domain_policy).
  std::shared_ptr<const policy::DomainPolicy> domain_policy;
};

// One message of the patient identity feed (ITI-8 over MLLP, ITI-44 over SOAP; issue 17),
// as its edge decoded it. The registry keeps identifiers only, no demographics.
struct FeedIdentifier {
  std::string id;              // CX.1 / II@extension
  std::string authority_oid;   // CX.4.2 / II@root: the assigning authority's universal id
  std::string authority_type;  // CX.4.3 ("ISO"; empty when the sender left it out)
};
struct PatientFeedRequest {
  enum class Kind { kAdd, kUpdate, kMerge };
  Kind kind = Kind::kAdd;
  // The patient's identifiers as the message lists them (PID-3, patient/id); only the one of
  // the affinity domain's assigning authority is kept, the others are ignored.
  std::vector<FeedIdentifier> patient_ids;
  // kMerge: the subsumed patient's identifiers (MRG-1, priorRegisteredRole/id).
  std::vector<FeedIdentifier> prior_ids;
};
struct PatientFeedResult {
  // Why the registry did not act on an admitted message (nothing was changed).
  enum class Refusal {
    kNone,
    kNoDomainPatientId,  // no identifier of the domain's authority among patient_ids
    kNoDomainPriorId,    // the same among prior_ids
    kMergedAway,         // the id was merged into another one and is no longer used
  };
  Refusal refusal = Refusal::kNone;
  std::string refusal_text;  // for the sender
  std::string patient_id;    // the domain id admitted, updated or surviving (CX)
  std::string subsumed_id;   // kMerge: the domain id merged away
  bool created = false;      // the patient id was new to the index
  PatientMergeResult merge;
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
  // `on_behalf_of` (a repository registering a source's ITI-41) is the submitting
  // organisation when the caller has the repository right; else the caller's own.
  absl::StatusOr<RegistryResponse> Register(const CallContext& context, Submission submission,
                                            std::vector<RegistryError> decode_errors = {},
                                            const std::string& on_behalf_of = "");

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

  // The patient identity feed (ITI-8, ITI-44; registry/feed/README.md). `transaction` is
  // "ITI-8" or "ITI-44": a right of the administrator (the region's identity source), and
  // the name its audit event carries, with the patient ids (both for a merge). Add and
  // update admit the domain's id; merge moves the subsumed id's entries to the surviving
  // id in one store transaction, committed with the event. Refusals of the message's
  // content come back in the result; a Status only for the gate's denial or a store
  // failure.
  absl::StatusOr<PatientFeedResult> PatientFeed(const CallContext& context, std::string_view transaction,
                                                const PatientFeedRequest& request);
  // Which ids were merged into which (xdsctl patient show).
  absl::StatusOr<PatientLinks> PatientLinksOf(const CallContext& context, const std::string& patient_id);

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
  // request. Enforced on ITI-18 (AccessGuard) and ITI-43 (AccessDecision).
  absl::StatusOr<ConsentChangeResponse> ConsentAddRule(const CallContext& context, const ConsentRuleRequest& request,
                                                       policy::Effect effect);
  absl::StatusOr<ConsentChangeResponse> ConsentRevoke(const CallContext& context, const ConsentRevokeRequest& request);
  absl::StatusOr<PatientConsent> ConsentList(const CallContext& context, const ConsentListRequest& request);
  absl::StatusOr<ConsentChangeResponse> ConsentRelationship(const CallContext& context,
                                                            const ConsentSubjectRequest& request, bool start);
  absl::StatusOr<ConsentChangeResponse> ConsentExclusion(const CallContext& context,
                                                         const ConsentSubjectRequest& request, bool exclude);

  // ITI-43's access decision, asked by a repository (issue 16): which of these documents
  // the requester may retrieve. Unknown uniqueIds are simply not permitted.
  absl::StatusOr<AccessDecisionResponse> AccessDecision(const CallContext& context,
                                                        const AccessDecisionRequest& request);
  // WatchPolicy: admits the caller (repository right), then `send` gets the generation at
  // once and after every change until it returns false or `cancelled` says so.
  absl::Status WatchPolicy(const CallContext& context, const std::function<bool(const PolicyGeneration&)>& send,
                           const std::function<bool()>& cancelled);

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

  // The access guard of a query; none without a domain policy, for a repository node (it
  // holds the documents it registered anyway, and reconciles them with GetDocuments), for
  // the region's administrators on gRPC (xdsctl with the admin right: the document
  // administrator must find what to update or remove; recorded like every query), and over
  // plain gRPC (development on loopback; plain transport is refused on any other address).
  std::optional<AccessGuard> GuardFor(const CallContext& context) const;

  std::unique_ptr<MetadataStore> store_;
  RegistryOptions options_;
  CallGate gate_;
  PolicyClock policy_generation_;
  mutable PolicyCache policies_{*store_, policy_generation_};  // after the clock and the store
};

// The transactions, run by Registry once the gate admitted the call. Store failures are
// answered with an XDS error safe for the sender; their detail goes to `outcome`.
namespace iti42 {
RegistryResponse Register(MetadataStore& store, const RegistryOptions& options, Submission submission,
                          const std::string& submitting_organization, CallOutcome& outcome);
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
// `guard` (null without a domain policy) hides what the requester may not see.
StoredQueryResponse StoredQuery(MetadataStore& store, const RegistryOptions& options, const StoredQueryRequest& request,
                                AccessGuard* guard, CallOutcome& outcome);
}  // namespace iti18

// The registry's clock for lastUpdateTime.
std::string CurrentDtm();  // UTC, 14 digits

}  // namespace xds

#endif  // XDS_REGISTRY_REGISTRY_H_
