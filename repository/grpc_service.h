// The repository's internal gRPC service (proto/repository_service.proto): committed
// documents streamed in chunks, for xdsctl.
#ifndef XDS_REPOSITORY_GRPC_SERVICE_H_
#define XDS_REPOSITORY_GRPC_SERVICE_H_

#include "proto/repository_service.grpc.pb.h"
#include "registry/shared/service/call_gate.h"
#include "repository/document_store.h"

namespace xds {

class RepositoryGrpcService final : public RepositoryService::Service {
 public:
  // Every call passes `gate`; a store failure answers UNAVAILABLE with a fixed message and
  // its status goes to the gate's log line.
  RepositoryGrpcService(DocumentStore* store, const CallGate* gate) : store_(store), gate_(gate) {}
  grpc::Status Retrieve(grpc::ServerContext* context, const RetrieveRequest* request,
                        grpc::ServerWriter<DocumentChunk>* writer) override;

 private:
  DocumentStore* store_;
  const CallGate* gate_;
};

}  // namespace xds

#endif  // XDS_REPOSITORY_GRPC_SERVICE_H_
