#include "registry/grpc_service.h"

namespace xds {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = absl::IsInvalidArgument(status) ? grpc::StatusCode::INVALID_ARGUMENT : grpc::StatusCode::UNAVAILABLE;
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

}  // namespace xds
