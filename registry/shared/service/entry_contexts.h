// The CallContext of a request as it enters a service, one function per way in, so that the
// verified TLS identity and the requester's claims are filled in at one place for both
// services.
#ifndef XDS_REGISTRY_SHARED_SERVICE_ENTRY_CONTEXTS_H_
#define XDS_REGISTRY_SHARED_SERVICE_ENTRY_CONTEXTS_H_

#include <grpcpp/grpcpp.h>

#include "registry/shared/net/http_server.h"
#include "registry/shared/service/call_context.h"
#include "registry/shared/soap/soap_envelope.h"

namespace xds {

inline CallContext SoapCallContext(const http::Request& http_request, const soap::Request& request) {
  CallContext context;
  context.transport = CallContext::Transport::kSoap;
  context.message_id = request.message_id;
  context.peer = http_request.peer;
  return context;
}

inline CallContext GrpcCallContext(const grpc::ServerContext& server_context) {
  CallContext context;
  context.transport = CallContext::Transport::kGrpc;
  context.peer = server_context.peer();
  return context;
}

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_SERVICE_ENTRY_CONTEXTS_H_
