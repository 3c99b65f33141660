#include "repository/soap_endpoint.h"

#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/mime_multipart.h"

namespace xds {
namespace {

http::Response ProvideAndRegister(ProvideAndRegisterService* service, const soap::Request& request) {
  soap::ResponseEnvelope envelope(vocab::kActionProvideAndRegisterResponse, request.message_id);
  RegistryResponse response =
      service->ProvideAndRegister(ParseProvideAndRegisterRequest(request.body_element, request.multipart));
  ebrim::AppendRegistryResponse(envelope.body(), response);
  return soap::MakeResponse(envelope, vocab::kActionProvideAndRegisterResponse, /*mtom=*/true);
}

http::Response Retrieve(DocumentStore* store, const RetrieveOptions& options, const soap::Request& request) {
  soap::ResponseEnvelope envelope(vocab::kActionRetrieveResponse, request.message_id);
  RetrieveResult result = RetrieveDocumentSet(request.body_element, store, options);
  std::vector<std::string> content_ids;
  std::vector<mime::Attachment> attachments;
  for (size_t i = 0; i < result.documents.size(); ++i) {
    content_ids.push_back(absl::StrCat("document", i + 1, "@xds.repository"));
    attachments.push_back({content_ids.back(), result.documents[i].mime_type, result.documents[i].content->data()});
  }
  AppendRetrieveDocumentSetResponse(envelope.body(), result, content_ids);
  http::Response response;
  // The mapped files are copied once, into the HTTP body.
  response.body =
      mime::BuildMtom(envelope.Serialize(), attachments, vocab::kActionRetrieveResponse, &response.content_type);
  return response;
}

}  // namespace

http::Handler MakeRepositorySoapHandler(ProvideAndRegisterService* provide_and_register, DocumentStore* store,
                                        RepositoryEndpointOptions options) {
  return [=](const http::Request& http_request) -> http::Response {
    if (http_request.target != "/xds/repository") {
      return http::Response{404, "text/plain", "Not found. The repository's SOAP endpoint is /xds/repository\n"};
    }
    soap::Request request;
    soap::Fault fault;
    if (!soap::ParseRequest(http_request, options.xml, &request, &fault)) {
      return soap::MakeFaultResponse(fault, request.message_id);
    }
    if (request.action == vocab::kActionProvideAndRegister) return ProvideAndRegister(provide_and_register, request);
    if (request.action == vocab::kActionRetrieve) return Retrieve(store, options.retrieve, request);
    return soap::MakeFaultResponse(
        {"Sender", "a:ActionNotSupported",
         absl::StrCat("The action ", request.action, " is not supported by the Document Repository endpoint")},
        request.message_id);
  };
}

}  // namespace xds
