#include "registry/registry.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/policy/bppc.h"
#include "registry/shared/audit/describe.h"
#include "registry/shared/ebrim/codec.h"

namespace xds {
absl::Status Registry::Unavailable(const absl::Status& status, CallOutcome& outcome) {
  outcome.Fail(absl::StatusCodeToString(status.code()), status.ToString());
  return absl::UnavailableError("the registry's store could not complete the request; see the registry's log");
}

absl::Status Registry::Denied(const absl::Status& status, CallOutcome& outcome) {
  outcome.Fail(absl::StatusCodeToString(status.code()), "");
  return status;
}

std::string CurrentDtm() {
  std::time_t now = std::time(nullptr);
  std::tm utc;
  gmtime_r(&now, &utc);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &utc);
  return buf;
}

Registry::Registry(std::unique_ptr<MetadataStore> store, RegistryOptions options)
    : store_(std::move(store)), options_(std::move(options)), gate_("xds-registry", options_.gate) {}

absl::StatusOr<RegistryResponse> Registry::Register(const CallContext& context, Submission submission,
                                                    std::vector<RegistryError> decode_errors,
                                                    const std::string& on_behalf_of) {
  GatedCall call(gate_, context, "ITI-42");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  audit::DescribeSubmission(submission, &call.event());
  const bool consent_document =
      options_.domain_policy &&
      std::any_of(submission.document_entries().begin(), submission.document_entries().end(),
                  [this](const DocumentEntry& de) { return policy::IsConsentDocument(*options_.domain_policy, de); });
  std::string submitter = RequesterOf(context).organization_id;
  if (!on_behalf_of.empty()) {
    if (!context.node.HasRole(tls::kRoleRepository)) {
      return Denied(absl::PermissionDeniedError("only a repository node registers on behalf of another organisation"),
                    call.outcome());
    }
    submitter = on_behalf_of;
    call.event().set_on_behalf_of(on_behalf_of);
  }
  RegistryResponse response = decode_errors.empty()
                                  ? iti42::Register(*store_, options_, std::move(submission), submitter, call.outcome())
                                  : FailureResponse(std::move(decode_errors));
  // A registered BPPC consent document may have changed her policy.
  if (response.status() == SUCCESS && options_.domain_policy && consent_document) policy_generation_.Advance();
  call.outcome().Answered(response);
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return response;
}

absl::StatusOr<StoredQueryResponse> Registry::StoredQuery(const CallContext& context, const StoredQueryRequest& request,
                                                          std::vector<RegistryError> decode_errors) {
  GatedCall call(gate_, context, "ITI-18");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  StoredQueryResponse response;
  if (decode_errors.empty()) {
    std::optional<AccessGuard> guard = GuardFor(context);
    response = iti18::StoredQuery(*store_, options_, request, guard ? &*guard : nullptr, call.outcome());
    if (guard) audit::AppendDetail(guard->Summary(), &call.event());
  } else {
    *response.mutable_response() = FailureResponse(std::move(decode_errors));
  }
  audit::DescribeQuery(request, response, &call.event());
  call.outcome().Answered(response.response());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return response;
}

absl::StatusOr<RegistryResponse> Registry::UpdateDocumentSet(const CallContext& context, Submission submission,
                                                             std::vector<RegistryError> decode_errors) {
  GatedCall call(gate_, context, "ITI-57");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  audit::DescribeSubmission(submission, &call.event());
  RegistryResponse response = decode_errors.empty()
                                  ? iti57::UpdateDocumentSet(*store_, options_, std::move(submission), call.outcome())
                                  : FailureResponse(std::move(decode_errors));
  call.outcome().Answered(response);
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return response;
}

absl::StatusOr<RegistryResponse> Registry::RemoveMetadata(const CallContext& context,
                                                          const RemoveMetadataRequest& request,
                                                          std::vector<RegistryError> decode_errors) {
  GatedCall call(gate_, context, "ITI-62");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  if (decode_errors.empty() && request.entry_uuids_size() > 0) {
    // The event names the patients and documents of what is to go, read before it goes.
    std::vector<std::string> ids(request.entry_uuids().begin(), request.entry_uuids().end());
    DocumentEntryFilter documents;
    documents.entry_uuids = ids;
    Submission removed;
    if (auto entries = store_->FindDocumentEntries(documents); entries.ok()) {
      for (DocumentEntry& entry : *entries) *removed.add_document_entries() = std::move(entry);
    }
    audit::DescribeSubmission(removed, &call.event());
    if (auto objects = store_->FindObjects(ids); objects.ok()) {
      for (const StoredObjectInfo& o : *objects) audit::AddPatient(o.patient_id, &call.event());
    }
  }
  RegistryResponse response = decode_errors.empty() ? iti62::RemoveMetadata(*store_, request, call.outcome())
                                                    : FailureResponse(std::move(decode_errors));
  call.outcome().Answered(response);
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return response;
}

absl::StatusOr<bool> Registry::AddPatient(const CallContext& context, const std::string& patient_id) {
  GatedCall call(gate_, context, "AddPatient");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  if (!IsCxPatientId(patient_id)) {
    return Denied(
        absl::InvalidArgumentError(absl::StrCat("'", patient_id, "' is not a CX patient id of the form ID^^^&OID&ISO")),
        call.outcome());
  }
  if (!options_.patient_authority.empty() &&
      !absl::EndsWith(patient_id, absl::StrCat("^^^&", options_.patient_authority, "&ISO"))) {
    return Denied(absl::InvalidArgumentError(absl::StrCat("patient id '", patient_id,
                                                          "' is not issued by the affinity domain's assigning "
                                                          "authority ",
                                                          options_.patient_authority)),
                  call.outcome());
  }
  audit::AddPatient(patient_id, &call.event());
  absl::StatusOr<bool> created = store_->AddPatient(patient_id);
  if (!created.ok()) return Unavailable(created.status(), call.outcome());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return created;
}

absl::StatusOr<std::vector<std::string>> Registry::ListPatients(const CallContext& context) {
  GatedCall call(gate_, context, "ListPatients");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  auto patients = store_->ListPatients();
  if (!patients.ok()) return Unavailable(patients.status(), call.outcome());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return patients;
}

absl::StatusOr<StoreStats> Registry::Stats(const CallContext& context) {
  GatedCall call(gate_, context, "Stats");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  auto stats = store_->Stats();
  if (!stats.ok()) return Unavailable(stats.status(), call.outcome());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return stats;
}

absl::StatusOr<BackupResult> Registry::Backup(const CallContext& context, const std::string& requested) {
  GatedCall call(gate_, context, "Backup");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  std::filesystem::path path(requested);
  if (requested.empty() || !path.is_absolute()) {
    return Denied(absl::InvalidArgumentError("the backup path must be absolute (it is written on the registry's host)"),
                  call.outcome());
  }
  std::error_code ec;
  std::filesystem::path target = std::filesystem::weakly_canonical(path, ec);
  std::filesystem::path dir = std::filesystem::weakly_canonical(options_.backup_dir, ec);
  auto [dir_end, target_it] = std::mismatch(dir.begin(), dir.end(), target.begin(), target.end());
  if (ec || options_.backup_dir.empty() || dir_end != dir.end() || target_it == target.end()) {
    return Denied(absl::PermissionDeniedError("backups are written only inside the registry's --backup_dir (" +
                                              options_.backup_dir + ")"),
                  call.outcome());
  }
  auto start = std::chrono::steady_clock::now();
  BackupResult result;
  result.path = path.lexically_normal().string();
  absl::Status s = store_->Backup(result.path);
  if (absl::IsAlreadyExists(s)) {
    return Denied(absl::AlreadyExistsError(absl::StrCat(result.path, " already exists; backups never overwrite")),
                  call.outcome());
  }
  if (!s.ok()) return Unavailable(s, call.outcome());
  auto size = std::filesystem::file_size(result.path, ec);
  result.bytes = ec ? 0 : static_cast<int64_t>(size);
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return result;
}

absl::StatusOr<RecordAuditResponse> Registry::RecordAudit(const CallContext& context, std::vector<AuditEvent> events) {
  GatedCall call(gate_, context, "RecordAudit");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  // The delivering node is who its certificate says; over plain development transport,
  // what the sender calls itself.
  for (AuditEvent& event : events) {
    if (!context.node.subject.empty()) event.set_origin(context.node.subject);
    if (event.origin().empty()) event.set_origin(event.service().empty() ? "unknown" : event.service());
    if (event.origin_seq() == 0) event.set_origin_seq(event.seq());
    event.set_seq(0);
  }
  absl::StatusOr<RecordAuditResponse> recorded = store_->audit_trail().Append(events);
  if (!recorded.ok()) return Unavailable(recorded.status(), call.outcome());
  // The delivered events are the record of this call: no event of its own per batch.
  call.outcome().audit = nullptr;
  return recorded;
}

absl::StatusOr<AuditLogResponse> Registry::AuditLog(const CallContext& context, const AuditLogRequest& request) {
  GatedCall call(gate_, context, "AuditLog");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  if (request.patient_id().empty()) {
    return Denied(absl::InvalidArgumentError("the access log is per patient: give her patient id"), call.outcome());
  }
  // Reading her access log is an access to her data: it is in her log too.
  audit::AddPatient(request.patient_id(), &call.event());
  absl::StatusOr<AuditLogResponse> log = store_->audit_trail().ForPatient(request);
  if (!log.ok()) return Unavailable(log.status(), call.outcome());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return log;
}

absl::StatusOr<VerifyAuditResponse> Registry::VerifyAudit(const CallContext& context) {
  GatedCall call(gate_, context, "AuditVerify");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  absl::StatusOr<VerifyAuditResponse> verified = store_->audit_trail().Verify();
  if (!verified.ok()) return Unavailable(verified.status(), call.outcome());
  if (!verified->intact()) call.outcome().Fail("AUDIT_CHAIN_BROKEN", verified->problem());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return verified;
}

std::optional<AccessGuard> Registry::GuardFor(const CallContext& context) const {
  std::optional<AccessGuard> guard;
  const bool grpc = context.transport == CallContext::Transport::kGrpc;
  const bool unfiltered = context.node.HasRole(tls::kRoleRepository) ||
                          (grpc && (context.node.subject.empty() || context.node.HasRole(tls::kRoleAdmin)));
  if (options_.domain_policy && !unfiltered) {
    guard.emplace(*store_, policies_, *options_.domain_policy, RequesterOf(context), context.received);
  }
  return guard;
}

absl::StatusOr<AccessDecisionResponse> Registry::AccessDecision(const CallContext& context,
                                                                const AccessDecisionRequest& request) {
  GatedCall call(gate_, context, "AccessDecision");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  AccessDecisionResponse response;
  // The generation first: a change committed while deciding makes the repository drop
  // what it caches under this one.
  response.set_generation(policy_generation_.Current());
  response.set_enforced(options_.domain_policy != nullptr);
  const std::vector<std::string> asked(request.document_unique_ids().begin(), request.document_unique_ids().end());
  absl::StatusOr<std::vector<DocumentAccess>> rows = store_->DocumentAccessByUniqueId(asked);
  if (!rows.ok()) return Unavailable(rows.status(), call.outcome());
  std::set<std::string> admitted_entries, emergency_entries;
  std::string summary;
  if (options_.domain_policy) {
    policy::Requester requester;
    requester.organization_id = request.organization_id();
    requester.professional_id = request.professional_id();
    requester.purpose_of_use = request.purpose_of_use();
    AccessGuard guard(*store_, policies_, *options_.domain_policy, requester, context.received);
    absl::StatusOr<std::set<std::string>> admitted = guard.Admit(*rows, &emergency_entries);
    if (!admitted.ok()) return Unavailable(admitted.status(), call.outcome());
    admitted_entries = *std::move(admitted);
    summary = guard.Summary();
  } else {
    for (const DocumentAccess& row : *rows) admitted_entries.insert(row.entry_uuid);
  }
  std::set<std::string> permitted, emergency;
  // The repository's ITI-43 event, which names her, records the act and this decision in
  // her access log; this one is the registry's own record of the decision.
  for (const DocumentAccess& row : *rows) {
    if (admitted_entries.count(row.entry_uuid)) permitted.insert(row.unique_id);
    if (emergency_entries.count(row.entry_uuid)) emergency.insert(row.unique_id);
  }
  for (const std::string& uid : permitted) response.add_permitted_unique_ids(uid);
  for (const std::string& uid : emergency) response.add_break_the_glass_unique_ids(uid);
  for (const std::string& uid : asked) call.event().add_document_unique_ids(uid);
  audit::AppendDetail(absl::StrCat("for organization ", request.organization_id(),
                                   request.professional_id().empty() ? "" : " professional ", request.professional_id(),
                                   ": ", permitted.size(), " of ", asked.size(), " permitted"),
                      &call.event());
  audit::AppendDetail(summary, &call.event());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return response;
}

absl::Status Registry::WatchPolicy(const CallContext& context, const std::function<bool(const PolicyGeneration&)>& send,
                                   const std::function<bool()>& cancelled) {
  {
    GatedCall call(gate_, context, "WatchPolicy");
    if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
    if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  }
  PolicyGeneration message;
  message.set_enforced(options_.domain_policy != nullptr);
  message.set_generation(policy_generation_.Current());
  if (!send(message)) return absl::OkStatus();
  while (!cancelled()) {
    const int64_t now = policy_generation_.WaitBeyond(message.generation(), absl::Now() + absl::Seconds(1));
    if (now == message.generation()) continue;
    message.set_generation(now);
    if (!send(message)) break;
  }
  return absl::OkStatus();
}

}  // namespace xds
