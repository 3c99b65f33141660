#include "repository/grpc_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "registry/shared/service/entry_contexts.h"

namespace xds {
grpc::Status RepositoryGrpcService::Retrieve(grpc::ServerContext* context, const RetrieveRequest* request,
                                             grpc::ServerWriter<DocumentChunk>* writer) {
  constexpr size_t kChunk = 1 << 20;
  const CallContext call_context = GrpcCallContext(*context);
  GatedCall call(*gate_, call_context, "Retrieve");
  const std::string& uid = request->document_unique_id();
  if (!call.admitted().ok()) {
    call.outcome().Fail(absl::StatusCodeToString(call.admitted().code()), "");
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(call.admitted().message()));
  }
  auto document = store_->Lookup(uid);
  if (!document.ok()) {
    call.outcome().Fail("UNAVAILABLE", absl::StrCat("document ", uid, ": lookup: ", document.status().ToString()));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the document store could not be read");
  }
  if (!document->has_value()) {
    call.outcome().Fail("NOT_FOUND", "");
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no document with uniqueId " + uid + " in this repository");
  }
  auto content = store_->Read(**document);
  if (!content.ok()) {
    call.outcome().Fail("UNAVAILABLE", absl::StrCat("document ", uid, ": read: ", content.status().ToString()));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the document could not be read");
  }
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
