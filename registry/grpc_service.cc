#include "registry/grpc_service.h"

#include <chrono>
#include <filesystem>

namespace xds {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = absl::IsInvalidArgument(status) ? grpc::StatusCode::INVALID_ARGUMENT
              : absl::IsAlreadyExists(status) ? grpc::StatusCode::ALREADY_EXISTS
                                              : grpc::StatusCode::UNAVAILABLE;
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace

grpc::Status RegistryGrpcService::Register(grpc::ServerContext*, const RegisterRequest* request,
                                           RegistryResponse* response) {
  *response = registry_->Register(request->submission());
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::StoredQuery(grpc::ServerContext*, const StoredQueryRequest* request,
                                              StoredQueryResponse* response) {
  *response = registry_->StoredQuery(*request);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::AddPatient(grpc::ServerContext*, const Patient* request,
                                             AddPatientResponse* response) {
  auto created = registry_->AddPatient(request->id());
  if (!created.ok()) return ToGrpc(created.status());
  response->set_created(*created);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::ListPatients(grpc::ServerContext*, const ListPatientsRequest*,
                                               ListPatientsResponse* response) {
  auto patients = registry_->ListPatients();
  if (!patients.ok()) return ToGrpc(patients.status());
  for (const auto& id : *patients) response->add_patients()->set_id(id);
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::Stats(grpc::ServerContext*, const StatsRequest*, StatsResponse* response) {
  auto stats = registry_->store().Stats();
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
  return grpc::Status::OK;
}

grpc::Status RegistryGrpcService::Backup(grpc::ServerContext*, const BackupRequest* request,
                                         BackupResponse* response) {
  std::filesystem::path path(request->path());
  if (request->path().empty() || !path.is_absolute()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the backup path must be absolute (it is written on the registry's host)");
  }
  std::error_code ec;
  std::filesystem::path target = std::filesystem::weakly_canonical(path, ec);
  std::filesystem::path dir = std::filesystem::weakly_canonical(backup_dir_, ec);
  auto [dir_end, target_it] = std::mismatch(dir.begin(), dir.end(), target.begin(), target.end());
  if (ec || backup_dir_.empty() || dir_end != dir.end() || target_it == target.end()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "backups are written only inside the registry's --backup_dir (" + backup_dir_ + ")");
  }
  auto start = std::chrono::steady_clock::now();
  absl::Status s = registry_->store().Backup(path.lexically_normal().string());
  if (!s.ok()) return ToGrpc(s);
  response->set_path(path.lexically_normal().string());
  auto size = std::filesystem::file_size(path, ec);
  response->set_bytes(ec ? 0 : static_cast<int64_t>(size));
  response->set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - start).count());
  return grpc::Status::OK;
}

}  // namespace xds
