#include "registry/grpc_service.h"

#include "registry/shared/service/entry_contexts.h"

namespace xds {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Registry's statuses carry messages meant for the caller (store details are logged).
  auto code = absl::IsInvalidArgument(status)    ? grpc::StatusCode::INVALID_ARGUMENT
              : absl::IsAlreadyExists(status)    ? grpc::StatusCode::ALREADY_EXISTS
              : absl::IsPermissionDenied(status) ? grpc::StatusCode::PERMISSION_DENIED
              : absl::IsUnauthenticated(status)  ? grpc::StatusCode::UNAUTHENTICATED
              : absl::IsNotFound(status)         ? grpc::StatusCode::NOT_FOUND
                                                 : grpc::StatusCode::UNAVAILABLE;
  return grpc::Status(code, std::string(status.message()));
}

template <typename T>
grpc::Status Answer(absl::StatusOr<T> answer, T* response) {
  if (!answer.ok()) return ToGrpc(answer.status());
  *response = *std::move(answer);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RegistryGrpcService::Register(grpc::ServerContext* server_context, const RegisterRequest* request,
                                           RegistryResponse* response) {
  auto registered = registry_->Register(GrpcCallContext(*server_context), request->submission(), {},
                                        request->on_behalf_of_organization_id());
  if (!registered.ok()) return ToGrpc(registered.status());
  *response = *std::move(registered);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::AccessDecision(grpc::ServerContext* server_context,
                                                 const AccessDecisionRequest* request,
                                                 AccessDecisionResponse* response) {
  auto decided = registry_->AccessDecision(GrpcCallContext(*server_context), *request);
  if (!decided.ok()) return ToGrpc(decided.status());
  *response = *std::move(decided);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::WatchPolicy(grpc::ServerContext* server_context, const WatchPolicyRequest*,
                                              grpc::ServerWriter<PolicyGeneration>* writer) {
  return ToGrpc(registry_->WatchPolicy(
      GrpcCallContext(*server_context), [writer](const PolicyGeneration& g) { return writer->Write(g); },
      [server_context] { return server_context->IsCancelled(); }));
}

grpc::Status RegistryGrpcService::UpdateDocumentSet(grpc::ServerContext* server_context, const RegisterRequest* request,
                                                    RegistryResponse* response) {
  return Answer(registry_->UpdateDocumentSet(GrpcCallContext(*server_context), request->submission()), response);
}

grpc::Status RegistryGrpcService::RemoveMetadata(grpc::ServerContext* server_context,
                                                 const RemoveMetadataRequest* request, RegistryResponse* response) {
  return Answer(registry_->RemoveMetadata(GrpcCallContext(*server_context), *request), response);
}

grpc::Status RegistryGrpcService::StoredQuery(grpc::ServerContext* server_context, const StoredQueryRequest* request,
                                              StoredQueryResponse* response) {
  auto answered = registry_->StoredQuery(GrpcCallContext(*server_context), *request);
  if (!answered.ok()) return ToGrpc(answered.status());
  *response = *std::move(answered);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::AddPatient(grpc::ServerContext* server_context, const Patient* request,
                                             AddPatientResponse* response) {
  auto created = registry_->AddPatient(GrpcCallContext(*server_context), request->id());
  if (!created.ok()) return ToGrpc(created.status());
  response->set_created(*created);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::ListPatients(grpc::ServerContext* server_context, const ListPatientsRequest*,
                                               ListPatientsResponse* response) {
  auto patients = registry_->ListPatients(GrpcCallContext(*server_context));
  if (!patients.ok()) return ToGrpc(patients.status());
  for (const auto& id : *patients) response->add_patients()->set_id(id);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::PatientLinks(grpc::ServerContext* server_context, const Patient* request,
                                               PatientLinksResponse* response) {
  auto links = registry_->PatientLinksOf(GrpcCallContext(*server_context), request->id());
  if (!links.ok()) return ToGrpc(links.status());
  response->set_id(request->id());
  response->set_in_index(links->in_index);
  response->set_merged_into(links->merged_into);
  response->set_merged_at_ms(links->merged_at_ms);
  for (const auto& merged : links->merged_from) {
    MergedPatient* m = response->add_merged_from();
    m->set_id(merged.id);
    m->set_merged_at_ms(merged.at_ms);
  }
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::Stats(grpc::ServerContext* server_context, const StatsRequest*,
                                        StatsResponse* response) {
  auto stats = registry_->Stats(GrpcCallContext(*server_context));
  if (!stats.ok()) return ToGrpc(stats.status());
  auto fill = [](const std::vector<std::pair<std::string, int64_t>>& counts,
                 google::protobuf::RepeatedPtrField<Count>* out) {
    for (const auto& [key, n] : counts) {
      Count* c = out->Add();
      c->set_key(key);
      c->set_count(n);
    }
  };
  response->set_patients(stats->patients);
  fill(stats->document_entries_by_status, response->mutable_document_entries_by_status());
  fill(stats->submission_sets_by_status, response->mutable_submission_sets_by_status());
  fill(stats->folders_by_status, response->mutable_folders_by_status());
  response->set_associations(stats->associations);
  fill(stats->document_entries_by_class_code, response->mutable_document_entries_by_class_code());
  fill(stats->document_entries_by_repository, response->mutable_document_entries_by_repository());
  response->set_store_bytes(stats->store_bytes);
  if (process_stats_) process_stats_(response);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::Backup(grpc::ServerContext* server_context, const BackupRequest* request,
                                         BackupResponse* response) {
  auto backup = registry_->Backup(GrpcCallContext(*server_context), request->path());
  if (!backup.ok()) return ToGrpc(backup.status());
  response->set_path(backup->path);
  response->set_bytes(backup->bytes);
  response->set_duration_ms(backup->duration_ms);
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::Record(grpc::ServerContext* server_context, const AuditBatch* request,
                                      RecordAuditResponse* response) {
  auto recorded = registry_->RecordAudit(GrpcCallContext(*server_context),
                                         std::vector<AuditEvent>(request->events().begin(), request->events().end()));
  if (!recorded.ok()) return ToGrpc(recorded.status());
  *response = *std::move(recorded);
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::Log(grpc::ServerContext* server_context, const AuditLogRequest* request,
                                   AuditLogResponse* response) {
  auto log = registry_->AuditLog(GrpcCallContext(*server_context), *request);
  if (!log.ok()) return ToGrpc(log.status());
  *response = *std::move(log);
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::Verify(grpc::ServerContext* server_context, const VerifyAuditRequest*,
                                      VerifyAuditResponse* response) {
  auto verified = registry_->VerifyAudit(GrpcCallContext(*server_context));
  if (!verified.ok()) return ToGrpc(verified.status());
  *response = *std::move(verified);
  return grpc::Status::OK;
}

grpc::Status ConsentGrpcService::Grant(grpc::ServerContext* server_context, const ConsentRuleRequest* request,
                                       ConsentChangeResponse* response) {
  return Answer(registry_->ConsentAddRule(GrpcCallContext(*server_context), *request, policy::Effect::kPermit),
                response);
}

grpc::Status ConsentGrpcService::Deny(grpc::ServerContext* server_context, const ConsentRuleRequest* request,
                                      ConsentChangeResponse* response) {
  return Answer(registry_->ConsentAddRule(GrpcCallContext(*server_context), *request, policy::Effect::kDeny), response);
}

grpc::Status ConsentGrpcService::Revoke(grpc::ServerContext* server_context, const ConsentRevokeRequest* request,
                                        ConsentChangeResponse* response) {
  return Answer(registry_->ConsentRevoke(GrpcCallContext(*server_context), *request), response);
}

grpc::Status ConsentGrpcService::List(grpc::ServerContext* server_context, const ConsentListRequest* request,
                                      PatientConsent* response) {
  return Answer(registry_->ConsentList(GrpcCallContext(*server_context), *request), response);
}

grpc::Status ConsentGrpcService::StartRelationship(grpc::ServerContext* server_context,
                                                   const ConsentSubjectRequest* request,
                                                   ConsentChangeResponse* response) {
  return Answer(registry_->ConsentRelationship(GrpcCallContext(*server_context), *request, /*start=*/true), response);
}

grpc::Status ConsentGrpcService::EndRelationship(grpc::ServerContext* server_context,
                                                 const ConsentSubjectRequest* request,
                                                 ConsentChangeResponse* response) {
  return Answer(registry_->ConsentRelationship(GrpcCallContext(*server_context), *request, /*start=*/false), response);
}

grpc::Status ConsentGrpcService::Exclude(grpc::ServerContext* server_context, const ConsentSubjectRequest* request,
                                         ConsentChangeResponse* response) {
  return Answer(registry_->ConsentExclusion(GrpcCallContext(*server_context), *request, /*exclude=*/true), response);
}

grpc::Status ConsentGrpcService::Unexclude(grpc::ServerContext* server_context, const ConsentSubjectRequest* request,
                                           ConsentChangeResponse* response) {
  return Answer(registry_->ConsentExclusion(GrpcCallContext(*server_context), *request, /*exclude=*/false), response);
}

}  // namespace xds
