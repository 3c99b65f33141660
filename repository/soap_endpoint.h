// The repository's SOAP 1.2 endpoint (/xds/repository): ITI-41 and ITI-43 by wsa:Action.
// Requests may be MTOM or plain SOAP; responses are always MTOM/XOP (TF-41 3.41.4.2.3 and
// TF-43: even an ITI-41 response without attachments is a multipart/related package).
// A thin adapter over Repository: builds the call context, decodes and encodes.
#ifndef XDS_REPOSITORY_SOAP_ENDPOINT_H_
#define XDS_REPOSITORY_SOAP_ENDPOINT_H_

#include "registry/shared/net/http_server.h"
#include "registry/shared/soap/soap_envelope.h"
#include "registry/shared/xua/assertion.h"
#include "repository/repository.h"

namespace xds {

struct RepositoryEndpointOptions {
  soap::Limits xml;
  const xua::Verifier* xua = nullptr;  // XUA assertions (service::LoadXua); required
};

http::Handler MakeRepositorySoapHandler(Repository* repository, RepositoryEndpointOptions options);

}  // namespace xds

#endif  // XDS_REPOSITORY_SOAP_ENDPOINT_H_
