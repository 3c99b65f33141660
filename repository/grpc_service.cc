#include "repository/grpc_service.h"

#include <algorithm>

#include "registry/shared/service/entry_contexts.h"

namespace xds {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  // Repository's statuses carry messages meant for the caller (store details are logged).
  auto code = absl::IsNotFound(status)           ? grpc::StatusCode::NOT_FOUND
              : absl::IsPermissionDenied(status) ? grpc::StatusCode::PERMISSION_DENIED
                                                 : grpc::StatusCode::UNAVAILABLE;
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace

grpc::Status RepositoryGrpcService::RemoveDocuments(grpc::ServerContext* context,
                                                    const RetrieveDocumentSetRequest* request,
                                                    RegistryResponse* response) {
  auto removed = repository_->RemoveDocuments(GrpcCallContext(*context), *request);
  if (!removed.ok()) return ToGrpc(removed.status());
  *response = *std::move(removed);
  return grpc::Status::OK;
}

grpc::Status RepositoryGrpcService::Retrieve(grpc::ServerContext* context, const RetrieveRequest* request,
                                             grpc::ServerWriter<DocumentChunk>* writer) {
  constexpr size_t kChunk = 1 << 20;
  auto retrieved = repository_->RetrieveDocument(GrpcCallContext(*context), request->document_unique_id());
  if (!retrieved.ok()) return ToGrpc(retrieved.status());
  const StoredDocument& document = retrieved->document;
  std::string_view data = retrieved->content->data();
  size_t offset = 0;
  do {
    DocumentChunk chunk;
    if (offset == 0) {
      chunk.set_mime_type(document.mime_type);
      chunk.set_hash(document.hash);
      chunk.set_size(document.size);
    }
    size_t n = std::min(kChunk, data.size() - offset);
    chunk.set_data(data.data() + offset, n);
    offset += n;
    if (context->IsCancelled() || !writer->Write(chunk)) return grpc::Status::CANCELLED;
  } while (offset < data.size());
  return grpc::Status::OK;
}

}  // namespace xds
