// The repository's internal gRPC service (proto/repository_service.proto): committed
// documents streamed in chunks, for xdsctl.
#ifndef XDS_REPOSITORY_GRPC_SERVICE_H_
#define XDS_REPOSITORY_GRPC_SERVICE_H_

#include "proto/repository_service.grpc.pb.h"
#include "repository/document_store.h"

namespace xds {

class RepositoryGrpcService final : public RepositoryService::Service {
 public:
  explicit RepositoryGrpcService(DocumentStore* store) : store_(store) {}
  grpc::Status Retrieve(grpc::ServerContext* context, const RetrieveRequest* request,
                        grpc::ServerWriter<DocumentChunk>* writer) override;

 private:
  DocumentStore* store_;
};

}  // namespace xds

#endif  // XDS_REPOSITORY_GRPC_SERVICE_H_
