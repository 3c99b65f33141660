// The registry's internal gRPC service (proto/registry_service.proto), used by the
// repository and by xdsctl. A thin adapter over Registry.
#ifndef XDS_REGISTRY_GRPC_SERVICE_H_
#define XDS_REGISTRY_GRPC_SERVICE_H_

#include <functional>

#include "proto/audit.grpc.pb.h"
#include "proto/consent.grpc.pb.h"
#include "proto/registry_service.grpc.pb.h"
#include "registry/registry.h"

namespace xds {

class RegistryGrpcService final : public RegistryService::Service {
 public:
  // `process_stats` adds what the process around the registry knows to an admitted Stats
  // answer (the ATNA senders' state).
  explicit RegistryGrpcService(Registry* registry, std::function<void(StatsResponse*)> process_stats = nullptr)
      : registry_(registry), process_stats_(std::move(process_stats)) {}

  grpc::Status Register(grpc::ServerContext*, const RegisterRequest* request, RegistryResponse* response) override;
  grpc::Status StoredQuery(grpc::ServerContext*, const StoredQueryRequest* request,
                           StoredQueryResponse* response) override;
  grpc::Status UpdateDocumentSet(grpc::ServerContext*, const RegisterRequest* request,
                                 RegistryResponse* response) override;
  grpc::Status RemoveMetadata(grpc::ServerContext*, const RemoveMetadataRequest* request,
                              RegistryResponse* response) override;
  grpc::Status AddPatient(grpc::ServerContext*, const Patient* request, AddPatientResponse* response) override;
  grpc::Status ListPatients(grpc::ServerContext*, const ListPatientsRequest*, ListPatientsResponse* response) override;
  grpc::Status PatientLinks(grpc::ServerContext*, const Patient* request, PatientLinksResponse* response) override;
  grpc::Status Stats(grpc::ServerContext*, const StatsRequest*, StatsResponse* response) override;
  grpc::Status Backup(grpc::ServerContext*, const BackupRequest* request, BackupResponse* response) override;
  grpc::Status AccessDecision(grpc::ServerContext*, const AccessDecisionRequest* request,
                              AccessDecisionResponse* response) override;
  grpc::Status WatchPolicy(grpc::ServerContext*, const WatchPolicyRequest*,
                           grpc::ServerWriter<PolicyGeneration>* writer) override;

 private:
  Registry* registry_;
  std::function<void(StatsResponse*)> process_stats_;
};

// The region's audit store (proto/audit.proto), on the registry's gRPC port.
class AuditGrpcService final : public AuditService::Service {
 public:
  explicit AuditGrpcService(Registry* registry) : registry_(registry) {}

  grpc::Status Record(grpc::ServerContext*, const AuditBatch* request, RecordAuditResponse* response) override;
  grpc::Status Log(grpc::ServerContext*, const AuditLogRequest* request, AuditLogResponse* response) override;
  grpc::Status Verify(grpc::ServerContext*, const VerifyAuditRequest*, VerifyAuditResponse* response) override;

 private:
  Registry* registry_;
};

// The consent desk (proto/consent.proto), on the registry's gRPC port.
class ConsentGrpcService final : public ConsentService::Service {
 public:
  explicit ConsentGrpcService(Registry* registry) : registry_(registry) {}

  grpc::Status Grant(grpc::ServerContext*, const ConsentRuleRequest* request, ConsentChangeResponse* response) override;
  grpc::Status Deny(grpc::ServerContext*, const ConsentRuleRequest* request, ConsentChangeResponse* response) override;
  grpc::Status Revoke(grpc::ServerContext*, const ConsentRevokeRequest* request,
                      ConsentChangeResponse* response) override;
  grpc::Status List(grpc::ServerContext*, const ConsentListRequest* request, PatientConsent* response) override;
  grpc::Status StartRelationship(grpc::ServerContext*, const ConsentSubjectRequest* request,
                                 ConsentChangeResponse* response) override;
  grpc::Status EndRelationship(grpc::ServerContext*, const ConsentSubjectRequest* request,
                               ConsentChangeResponse* response) override;
  grpc::Status Exclude(grpc::ServerContext*, const ConsentSubjectRequest* request,
                       ConsentChangeResponse* response) override;
  grpc::Status Unexclude(grpc::ServerContext*, const ConsentSubjectRequest* request,
                         ConsentChangeResponse* response) override;

 private:
  Registry* registry_;
};

}  // namespace xds

#endif  // XDS_REGISTRY_GRPC_SERVICE_H_
