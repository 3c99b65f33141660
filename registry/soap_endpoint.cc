#include "registry/soap_endpoint.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "registry/iti18/fifo_gate.h"
#include "registry/iti44/iti44_feed.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/ebrim/xml_util.h"
#include "registry/shared/service/entry_contexts.h"

namespace xds {
namespace {

constexpr char kRegisterResponseAction[] = "urn:ihe:iti:2007:RegisterDocumentSet-bResponse";
constexpr char kStoredQueryResponseAction[] = "urn:ihe:iti:2007:RegistryStoredQueryResponse";

size_t CountRegistryObjects(const pugi::xml_node& submit_objects_request) {
  size_t count = 0;
  for (pugi::xml_node list : submit_objects_request.children()) {
    if (ebrim::xml::LocalName(list) != "RegistryObjectList") continue;
    for (pugi::xml_node object : list.children()) count += object.type() == pugi::node_element;
  }
  return count;
}

// ITI-42 and ITI-57 (the same lcm:SubmitObjectsRequest; the action decides).
http::Response Register(Registry* registry, const EndpointLimits& limits, const CallContext& context,
                        const soap::Request& request) {
  const bool update = request.action == vocab::kActionUpdateDocumentSet;
  const char* response_action = update ? vocab::kActionUpdateDocumentSetResponse : kRegisterResponseAction;
  soap::ResponseEnvelope envelope(response_action, request.message_id);
  // What cannot be decoded is answered by the registry too, after its gate: a node
  // without the right learns nothing about its request but the refusal.
  ebrim::ParsedSubmission parsed;
  const pugi::xml_node& body = request.body_element;
  if (ebrim::xml::LocalName(body) != "SubmitObjectsRequest" || ebrim::xml::NamespaceOf(body) != vocab::kLcmNs) {
    parsed.errors.push_back(
        MakeError(err::kRegistryMetadataError, "RegisterDocumentSet-b expects an lcm:SubmitObjectsRequest body"));
  } else if (size_t n = CountRegistryObjects(body); n > limits.max_registry_objects) {
    parsed.errors.push_back(MakeError(err::kRegistryOutOfResources, absl::StrCat("The submission holds ", n,
                                                                                 " registry objects; this registry "
                                                                                 "accepts at most ",
                                                                                 limits.max_registry_objects)));
  } else {
    parsed = ebrim::ParseSubmitObjectsRequest(body);
  }
  absl::StatusOr<RegistryResponse> registered =
      update ? registry->UpdateDocumentSet(context, std::move(parsed.submission), std::move(parsed.errors))
             : registry->Register(context, std::move(parsed.submission), std::move(parsed.errors));
  if (!registered.ok()) return soap::RefusalFault(registered.status(), request.message_id);
  ebrim::AppendRegistryResponse(envelope.body(), *registered);
  return soap::MakeResponse(envelope, response_action, request.mtom);
}

http::Response RemoveMetadata(Registry* registry, const CallContext& context, const soap::Request& request) {
  soap::ResponseEnvelope envelope(vocab::kActionRemoveMetadataResponse, request.message_id);
  ebrim::ParsedRemoval parsed;
  const pugi::xml_node& body = request.body_element;
  if (ebrim::xml::LocalName(body) != "RemoveObjectsRequest" || ebrim::xml::NamespaceOf(body) != vocab::kLcmNs) {
    parsed.errors.push_back(
        MakeError(err::kRegistryMetadataError, "DeleteDocumentSet expects an lcm:RemoveObjectsRequest body"));
  } else {
    parsed = ebrim::ParseRemoveObjectsRequest(body);
  }
  absl::StatusOr<RegistryResponse> removed =
      registry->RemoveMetadata(context, parsed.request, std::move(parsed.errors));
  if (!removed.ok()) return soap::RefusalFault(removed.status(), request.message_id);
  ebrim::AppendRegistryResponse(envelope.body(), *removed);
  return soap::MakeResponse(envelope, vocab::kActionRemoveMetadataResponse, request.mtom);
}

http::Response StoredQuery(Registry* registry, FifoGate& leaf_class_gate, const CallContext& context,
                           const soap::Request& request) {
  soap::ResponseEnvelope envelope(kStoredQueryResponseAction, request.message_id);
  // Only errors stop the query, and they are answered after the registry's gate (as for
  // Register); warnings (e.g. an unknown returnType read as LeafClass) travel with the answer.
  ebrim::ParsedQuery parsed;
  std::vector<RegistryError> errors, warnings;
  const pugi::xml_node& body = request.body_element;
  if (ebrim::xml::LocalName(body) != "AdhocQueryRequest" || ebrim::xml::NamespaceOf(body) != vocab::kQueryNs) {
    errors.push_back(MakeError(err::kRegistryError, "RegistryStoredQuery expects a query:AdhocQueryRequest body"));
  } else {
    parsed = ebrim::ParseAdhocQueryRequest(body);
    for (auto& e : parsed.errors) (e.severity() == WARNING ? warnings : errors).push_back(std::move(e));
  }
  // Held until the answer is written: for LeafClass that is most of the work.
  const bool decoded = errors.empty();
  std::optional<FifoGate::Pass> pass;
  if (decoded && parsed.request.return_type() == LEAF_CLASS) pass.emplace(leaf_class_gate);
  absl::StatusOr<StoredQueryResponse> answered = registry->StoredQuery(context, parsed.request, std::move(errors));
  if (!answered.ok()) return soap::RefusalFault(answered.status(), request.message_id);
  StoredQueryResponse& response = *answered;
  if (decoded) {
    for (auto& w : warnings) *response.mutable_response()->add_errors() = std::move(w);
  }
  envelope.SetBodyXml(ebrim::AdhocQueryResponseXml(response));
  return soap::MakeResponse(envelope, kStoredQueryResponseAction, request.mtom);
}

}  // namespace

http::Handler MakeRegistrySoapHandler(Registry* registry, EndpointLimits limits) {
  auto leaf_class_gate = std::make_shared<FifoGate>(limits.leaf_class_slots);
  return [registry, limits, leaf_class_gate](const http::Request& http_request) -> http::Response {
    if (http_request.target != "/xds/registry") {
      return http::Response{404, "text/plain", "Not found. The registry's SOAP endpoint is /xds/registry\n"};
    }
    CallContext context = SoapPeerContext(http_request);
    soap::Request request;
    soap::Fault fault;
    if (!soap::ParseRequest(http_request, limits.xml, &request, &fault)) {
      registry->RecordEdgeRefusal(context, "SOAP", FaultCode(fault), fault.reason);
      return soap::MakeFaultResponse(fault, request.message_id);
    }
    if (auto refused = AddSoapClaims(request, *limits.xua, &context)) {
      registry->RecordEdgeRefusal(context, TransactionOfAction(request.action), FaultCode(*refused), refused->reason);
      return soap::MakeFaultResponse(*refused, request.message_id);
    }
    if (request.action == vocab::kActionRegister || request.action == vocab::kActionUpdateDocumentSet) {
      return Register(registry, limits, context, request);
    }
    if (request.action == vocab::kActionRemoveMetadata) return RemoveMetadata(registry, context, request);
    if (request.action == vocab::kActionStoredQuery) {
      return StoredQuery(registry, *leaf_class_gate, context, request);
    }
    if (iti44::IsFeedAction(request.action)) return iti44::HandleFeed(*registry, context, request);
    return soap::MakeFaultResponse(
        {"Sender", "a:ActionNotSupported",
         absl::StrCat("The action ", request.action, " is not supported by the Document Registry endpoint")},
        request.message_id);
  };
}

}  // namespace xds
