// The repository's internal gRPC service (proto/repository_service.proto): committed
// documents streamed in chunks, for xdsctl. A thin adapter over Repository.
#ifndef XDS_REPOSITORY_GRPC_SERVICE_H_
#define XDS_REPOSITORY_GRPC_SERVICE_H_

#include "proto/repository_service.grpc.pb.h"
#include "repository/repository.h"

namespace xds {

class RepositoryGrpcService final : public RepositoryService::Service {
 public:
  explicit RepositoryGrpcService(Repository* repository) : repository_(repository) {}
  grpc::Status Retrieve(grpc::ServerContext* context, const RetrieveRequest* request,
                        grpc::ServerWriter<DocumentChunk>* writer) override;
  grpc::Status RemoveDocuments(grpc::ServerContext* context, const RetrieveDocumentSetRequest* request,
                               RegistryResponse* response) override;

 private:
  Repository* repository_;
};

}  // namespace xds

#endif  // XDS_REPOSITORY_GRPC_SERVICE_H_
