#include "repository/grpc_service.h"

#include <algorithm>

namespace xds {

grpc::Status RepositoryGrpcService::Retrieve(grpc::ServerContext* context, const RetrieveRequest* request,
                                             grpc::ServerWriter<DocumentChunk>* writer) {
  constexpr size_t kChunk = 1 << 20;
  auto document = store_->Lookup(request->document_unique_id());
  if (!document.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the document store could not be read");
  if (!document->has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no document with uniqueId " + request->document_unique_id() + " in this repository");
  }
  auto content = store_->Read(**document);
  if (!content.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the document could not be read");
  std::string_view data = (*content)->data();
  size_t offset = 0;
  do {
    DocumentChunk chunk;
    if (offset == 0) {
      chunk.set_mime_type((*document)->mime_type);
      chunk.set_hash((*document)->hash);
      chunk.set_size((*document)->size);
    }
    size_t n = std::min(kChunk, data.size() - offset);
    chunk.set_data(data.data() + offset, n);
    offset += n;
    if (context->IsCancelled() || !writer->Write(chunk)) return grpc::Status::CANCELLED;
  } while (offset < data.size());
  return grpc::Status::OK;
}

}  // namespace xds
