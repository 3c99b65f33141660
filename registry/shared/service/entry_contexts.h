// The CallContext of a request as it enters a service, one function per way in, so that the
// verified TLS identity and the requester's claims are filled in at one place for both
// services.
#ifndef XDS_REGISTRY_SHARED_SERVICE_ENTRY_CONTEXTS_H_
#define XDS_REGISTRY_SHARED_SERVICE_ENTRY_CONTEXTS_H_

#include <optional>

#include <grpcpp/grpcpp.h>

#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/net/http_server.h"
#include "registry/shared/net/tls.h"
#include "registry/shared/service/call_context.h"
#include "registry/shared/soap/soap_envelope.h"
#include "registry/shared/xua/check.h"

namespace xds {

// Who sent an HTTP request: the peer and the node of its TLS certificate.
inline CallContext SoapPeerContext(const http::Request& http_request) {
  CallContext context;
  context.transport = CallContext::Transport::kSoap;
  context.peer = http_request.peer;
  context.node = http_request.identity;
  return context;
}

// A connection of the MLLP patient identity feed (ITI-8): its peer and, over mutual TLS, the
// node of its verified certificate.
inline CallContext MllpCallContext(const std::string& peer, const tls::PeerIdentity& node) {
  CallContext context;
  context.transport = CallContext::Transport::kMllp;
  context.peer = peer;
  context.node = node;
  return context;
}

// A client that failed the TLS handshake of a SOAP port: recorded as transaction "TLS".
inline CallContext HandshakeFailureContext(const std::string& peer) {
  CallContext context;
  context.transport = CallContext::Transport::kSoap;
  context.peer = peer;
  return context;
}

// The requester's claims from the XUA assertion in the wsse:Security header (ITI-40),
// checked against `xua`. A Fault (missing assertion where one is required, a refused one)
// is the answer, and nothing of the request is processed.
inline std::optional<soap::Fault> AddSoapClaims(const soap::Request& request, const xua::Verifier& xua,
                                                CallContext* context) {
  context->message_id = request.message_id;
  return xua::Check(request, xua, &context->claims);
}

// The transaction a SOAP action names, as the gate records it.
inline std::string_view TransactionOfAction(std::string_view action) {
  if (action == vocab::kActionRegister) return "ITI-42";
  if (action == vocab::kActionStoredQuery) return "ITI-18";
  if (action == vocab::kActionProvideAndRegister) return "ITI-41";
  if (action == vocab::kActionRetrieve) return "ITI-43";
  // The patient identity feed in HL7 v3 (registry/iti44).
  if (action.substr(0, 24) == "urn:hl7-org:v3:PRPA_IN20") return "ITI-44";
  if (action == vocab::kActionUpdateDocumentSet) return "ITI-57";
  if (action == vocab::kActionRemoveMetadata) return "ITI-62";
  if (action == vocab::kActionRemoveDocuments) return "ITI-86";
  return "SOAP";
}

// A Fault's code as the gate records it: the subcode when there is one.
inline std::string_view FaultCode(const soap::Fault& fault) {
  return fault.subcode.empty() ? fault.code : fault.subcode;
}

// Over mutual TLS, gRPC has verified the client's certificate against the region's CA
// (and its CRL); its PEM is in the auth context.
inline CallContext GrpcCallContext(const grpc::ServerContext& server_context) {
  CallContext context;
  context.transport = CallContext::Transport::kGrpc;
  context.peer = server_context.peer();
  std::shared_ptr<const grpc::AuthContext> auth = server_context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const grpc::string_ref& pem : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
      context.node = tls::IdentityOfPem(std::string(pem.data(), pem.size()));
    }
  }
  return context;
}

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_SERVICE_ENTRY_CONTEXTS_H_
