#include "repository/soap_endpoint.h"

#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/document_set_codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/service/entry_contexts.h"

namespace xds {
namespace {

http::Response ProvideAndRegister(Repository* repository, const CallContext& context, const soap::Request& request) {
  soap::ResponseEnvelope envelope(vocab::kActionProvideAndRegisterResponse, request.message_id);
  absl::StatusOr<RegistryResponse> response = repository->ProvideAndRegister(
      context, ebrim::ParseProvideAndRegisterRequest(request.body_element, request.multipart));
  if (!response.ok()) return soap::RefusalFault(response.status(), request.message_id);
  ebrim::AppendRegistryResponse(envelope.body(), *response);
  return soap::MakeResponse(envelope, vocab::kActionProvideAndRegisterResponse, /*mtom=*/true);
}

http::Response Retrieve(Repository* repository, const CallContext& context, const soap::Request& request) {
  soap::ResponseEnvelope envelope(vocab::kActionRetrieveResponse, request.message_id);
  ebrim::ParsedRetrieveRequest parsed = ebrim::ParseRetrieveDocumentSetRequest(request.body_element);
  absl::StatusOr<RetrieveResult> retrieved = repository->Retrieve(context, parsed.request, std::move(parsed.errors));
  if (!retrieved.ok()) return soap::RefusalFault(retrieved.status(), request.message_id);
  RetrieveResult& result = *retrieved;
  std::vector<std::string> content_ids;
  std::vector<mime::Attachment> attachments;
  for (int i = 0; i < result.response.document_responses_size(); ++i) {
    content_ids.push_back(absl::StrCat("document", i + 1, "@xds.repository"));
    attachments.push_back(
        {content_ids.back(), result.response.document_responses(i).mime_type(), result.contents[i]->data()});
  }
  ebrim::AppendRetrieveDocumentSetResponse(envelope.body(), result.response, content_ids);
  http::Response response;
  // The mapped files are copied once, into the HTTP body.
  response.body =
      mime::BuildMtom(envelope.Serialize(), attachments, vocab::kActionRetrieveResponse, &response.content_type);
  return response;
}

http::Response RemoveDocuments(Repository* repository, const CallContext& context, const soap::Request& request) {
  soap::ResponseEnvelope envelope(vocab::kActionRemoveDocumentsResponse, request.message_id);
  ebrim::ParsedRetrieveRequest parsed = ebrim::ParseRemoveDocumentsRequest(request.body_element);
  absl::StatusOr<RegistryResponse> removed =
      repository->RemoveDocuments(context, parsed.request, std::move(parsed.errors));
  if (!removed.ok()) return soap::RefusalFault(removed.status(), request.message_id);
  ebrim::AppendRegistryResponse(envelope.body(), *removed);
  return soap::MakeResponse(envelope, vocab::kActionRemoveDocumentsResponse, request.mtom);
}

}  // namespace

http::Handler MakeRepositorySoapHandler(Repository* repository, RepositoryEndpointOptions options) {
  return [=](const http::Request& http_request) -> http::Response {
    if (http_request.target != "/xds/repository") {
      return http::Response{404, "text/plain", "Not found. The repository's SOAP endpoint is /xds/repository\n"};
    }
    CallContext context = SoapPeerContext(http_request);
    soap::Request request;
    soap::Fault fault;
    if (!soap::ParseRequest(http_request, options.xml, &request, &fault)) {
      repository->RecordEdgeRefusal(context, "SOAP", FaultCode(fault), fault.reason);
      return soap::MakeFaultResponse(fault, request.message_id);
    }
    if (auto refused = AddSoapClaims(request, *options.xua, &context)) {
      repository->RecordEdgeRefusal(context, TransactionOfAction(request.action), FaultCode(*refused), refused->reason);
      return soap::MakeFaultResponse(*refused, request.message_id);
    }
    if (request.action == vocab::kActionProvideAndRegister) return ProvideAndRegister(repository, context, request);
    if (request.action == vocab::kActionRetrieve) return Retrieve(repository, context, request);
    if (request.action == vocab::kActionRemoveDocuments) return RemoveDocuments(repository, context, request);
    return soap::MakeFaultResponse(
        {"Sender", "a:ActionNotSupported",
         absl::StrCat("The action ", request.action, " is not supported by the Document Repository endpoint")},
        request.message_id);
  };
}

}  // namespace xds
