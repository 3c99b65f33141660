// ebRS 3.0 envelopes around the metadata: SubmitObjectsRequest, AdhocQueryRequest,
// RegistryResponse and AdhocQueryResponse, plus the small URN helpers. The objects inside
// are handled by codec_parse.cc (lenient) and codec_emit.cc (schema order).
#include "registry/shared/ebrim/codec.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec_internal.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/ebrim/xml_util.h"

namespace xds::ebrim {
namespace {

using xml::Attr;
using xml::Is;

// The element to work on: `node` itself when it matches, else the first matching
// descendant (so a caller may hand over a document, a SOAP Body or an ITI-41 wrapper).
pugi::xml_node Locate(const pugi::xml_node& node, std::string_view ns, std::string_view local) {
  if (Is(node, ns, local)) return node;
  return node.find_node([&](const pugi::xml_node& n) { return Is(n, ns, local); });
}

ResponseStatus ParseResponseStatus(const std::string& status) {
  // The IHE sample responses carry bare "Success"; accept those beside the URNs.
  if (status == vocab::kResponseSuccess || status == "Success") return SUCCESS;
  if (status == vocab::kResponsePartialSuccess || absl::EndsWith(status, ":PartialSuccess") ||
      status == "PartialSuccess") {
    return PARTIAL_SUCCESS;
  }
  return FAILURE;
}

void ParseErrorList(const pugi::xml_node& response, RegistryResponse* out) {
  pugi::xml_node list = xml::Child(response, vocab::kRsNs, "RegistryErrorList");
  for (const pugi::xml_node& e : xml::Children(list, vocab::kRsNs, "RegistryError")) {
    RegistryError* error = out->add_errors();
    error->set_code(Attr(e, "errorCode"));
    error->set_context(Attr(e, "codeContext"));
    error->set_location(Attr(e, "location"));
    error->set_severity(absl::EndsWith(Attr(e, "severity"), "Warning") ? WARNING : ERROR);
  }
}

void WriteObjectRef(xml::XmlWriter& w, const std::string& id, const std::string& home = "") {
  w.Open("rim:ObjectRef");
  w.Attr("id", id);
  w.AttrIfPresent("home", home);
  w.Close();
}

// `declare_rs`: the list is the fragment's root, so it declares its own prefix.
template <typename Errors>
void WriteRegistryErrorList(xml::XmlWriter& w, const Errors& errors, bool declare_rs) {
  if (errors.empty()) return;  // The schema wants at least one RegistryError in a list.
  w.Open("rs:RegistryErrorList");
  if (declare_rs) w.Attr("xmlns:rs", vocab::kRsNs);
  bool any_error = false;
  for (const RegistryError& e : errors) any_error = any_error || e.severity() != WARNING;
  w.Attr("highestSeverity", any_error ? vocab::kSeverityError : vocab::kSeverityWarning);
  for (const RegistryError& e : errors) {
    w.Open("rs:RegistryError");
    w.Attr("errorCode", e.code());
    w.Attr("codeContext", e.context());
    w.AttrIfPresent("location", e.location());
    w.Attr("severity", e.severity() == WARNING ? vocab::kSeverityWarning : vocab::kSeverityError);
    w.Close();
  }
  w.Close();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Helpers

std::string StatusUrn(AvailabilityStatus status) {
  switch (status) {
    case APPROVED:
      return vocab::kStatusApproved;
    case DEPRECATED:
      return vocab::kStatusDeprecated;
    default:
      return "";
  }
}

std::string ResponseStatusUrn(ResponseStatus status) {
  switch (status) {
    case SUCCESS:
      return vocab::kResponseSuccess;
    case PARTIAL_SUCCESS:
      return vocab::kResponsePartialSuccess;
    default:
      return vocab::kResponseFailure;
  }
}

std::string NormalizeAssociationType(const std::string& type) {
  struct ShortName {
    const char* name;
    const char* urn;
  };
  static constexpr ShortName kShortNames[] = {
      {"HasMember", vocab::kHasMember},
      {"RPLC", vocab::kRplc},
      {"APND", vocab::kApnd},
      {"XFRM", vocab::kXfrm},
      {"XFRM_RPLC", vocab::kXfrmRplc},
      {"signs", vocab::kSigns},
      {"IsSnapshotOf", vocab::kIsSnapshotOf},
      {"UpdateAvailabilityStatus", vocab::kUpdateAvailabilityStatus},
      {"SubmitAssociation", vocab::kSubmitAssociation},
  };
  std::string trimmed(absl::StripAsciiWhitespace(type));
  for (const ShortName& s : kShortNames) {
    if (trimmed == s.name) return s.urn;
  }
  return trimmed;
}

// ---------------------------------------------------------------------------------------
// Parsing

ParsedSubmission ParseSubmitObjectsRequest(const pugi::xml_node& submit_objects_request) {
  ParsedSubmission parsed;
  pugi::xml_node request = Locate(submit_objects_request, vocab::kLcmNs, "SubmitObjectsRequest");
  if (!request) {
    parsed.errors.push_back(internal::MetadataError("", "no lcm:SubmitObjectsRequest element in the message"));
    return parsed;
  }
  pugi::xml_node list = xml::Child(request, vocab::kRimNs, "RegistryObjectList");
  if (!list) {
    parsed.errors.push_back(internal::MetadataError("", "SubmitObjectsRequest has no rim:RegistryObjectList element"));
    return parsed;
  }
  internal::ParseRegistryObjectList(list, &parsed.submission, &parsed.errors);
  return parsed;
}

ParsedRemoval ParseRemoveObjectsRequest(const pugi::xml_node& remove_objects_request) {
  ParsedRemoval parsed;
  pugi::xml_node request = Locate(remove_objects_request, vocab::kLcmNs, "RemoveObjectsRequest");
  if (!request) {
    parsed.errors.push_back(internal::MetadataError("", "no lcm:RemoveObjectsRequest element in the message"));
    return parsed;
  }
  // AdhocQuery-selected removal (ebRS 3.0) is not part of ITI-62: only an ObjectRefList.
  pugi::xml_node list = xml::Child(request, vocab::kRimNs, "ObjectRefList");
  for (pugi::xml_node ref = list.first_child(); ref; ref = ref.next_sibling()) {
    if (!xml::Is(ref, vocab::kRimNs, "ObjectRef")) continue;
    std::string id = Attr(ref, "id");
    if (id.empty()) {
      parsed.errors.push_back(internal::MetadataError("", "an rim:ObjectRef has no id attribute"));
      continue;
    }
    parsed.request.add_entry_uuids(id);
  }
  return parsed;
}

ParsedQuery ParseAdhocQueryRequest(const pugi::xml_node& adhoc_query_request) {
  ParsedQuery parsed;
  StoredQueryRequest& request = parsed.request;
  pugi::xml_node root = Locate(adhoc_query_request, vocab::kQueryNs, "AdhocQueryRequest");
  if (!root) {
    parsed.errors.push_back(internal::MetadataError("", "no query:AdhocQueryRequest element in the message"));
    return parsed;
  }
  pugi::xml_node option = xml::Child(root, vocab::kQueryNs, "ResponseOption");
  std::string return_type = Attr(option, "returnType");
  if (return_type == vocab::kReturnTypeObjectRef) {
    request.set_return_type(OBJECT_REF);
  } else {
    request.set_return_type(LEAF_CLASS);
    if (return_type != vocab::kReturnTypeLeafClass) {
      // XDS knows only LeafClass and ObjectRef; answer with full objects and say so.
      RegistryError note =
          internal::MetadataError("", absl::StrCat("ResponseOption returnType '", return_type,
                                                   "' is not LeafClass or ObjectRef; answering as LeafClass"));
      note.set_severity(WARNING);
      parsed.errors.push_back(std::move(note));
    }
  }

  pugi::xml_node query = xml::Child(root, vocab::kRimNs, "AdhocQuery");
  if (!query) {
    parsed.errors.push_back(internal::MetadataError("", "AdhocQueryRequest has no rim:AdhocQuery element"));
    return parsed;
  }
  // anyURI collapses whitespace: the IHE sample sends id=" urn:uuid:... ".
  request.set_query_id(Attr(query, "id"));
  request.set_home(Attr(query, "home"));
  if (request.query_id().empty()) {
    parsed.errors.push_back(internal::MetadataError("", "AdhocQuery has no id attribute"));
  }
  for (const pugi::xml_node& slot : xml::Children(query, vocab::kRimNs, "Slot")) {
    QueryParameter* parameter = request.add_parameters();
    parameter->set_name(Attr(slot, "name"));
    for (const pugi::xml_node& list : xml::Children(slot, vocab::kRimNs, "ValueList")) {
      for (const pugi::xml_node& value : xml::Children(list, vocab::kRimNs, "Value")) {
        parameter->add_values(xml::Text(value));
      }
    }
  }
  return parsed;
}

RegistryResponse ParseRegistryResponse(const pugi::xml_node& registry_response) {
  RegistryResponse response;
  pugi::xml_node root = Locate(registry_response, vocab::kRsNs, "RegistryResponse");
  if (!root) {
    response.set_status(FAILURE);
    *response.add_errors() = internal::MetadataError("", "no rs:RegistryResponse element in the message");
    return response;
  }
  response.set_status(ParseResponseStatus(Attr(root, "status")));
  ParseErrorList(root, &response);
  return response;
}

StoredQueryResponse ParseAdhocQueryResponse(const pugi::xml_node& adhoc_query_response) {
  StoredQueryResponse response;
  pugi::xml_node root = Locate(adhoc_query_response, vocab::kQueryNs, "AdhocQueryResponse");
  if (!root) {
    response.mutable_response()->set_status(FAILURE);
    *response.mutable_response()->add_errors() =
        internal::MetadataError("", "no query:AdhocQueryResponse element in the message");
    return response;
  }
  response.mutable_response()->set_status(ParseResponseStatus(Attr(root, "status")));
  ParseErrorList(root, response.mutable_response());
  pugi::xml_node list = xml::Child(root, vocab::kRimNs, "RegistryObjectList");
  Submission objects;
  // Problems in the answer's metadata are the responder's; a client takes what parses.
  std::vector<RegistryError> ignored;
  internal::ParseRegistryObjectList(list, &objects, &ignored);
  response.mutable_document_entries()->Swap(objects.mutable_document_entries());
  response.mutable_submission_sets()->Swap(objects.mutable_submission_sets());
  response.mutable_folders()->Swap(objects.mutable_folders());
  response.mutable_associations()->Swap(objects.mutable_associations());
  response.mutable_object_refs()->Swap(objects.mutable_object_refs());
  return response;
}

// ---------------------------------------------------------------------------------------
// Emitting

void AppendRegistryErrorList(pugi::xml_node parent, const std::vector<RegistryError>& errors) {
  if (errors.empty()) return;
  xml::AppendWritten(parent, [&](xml::XmlWriter& w) { WriteRegistryErrorList(w, errors, /*declare_rs=*/true); });
}

void AppendRegistryResponse(pugi::xml_node parent, const RegistryResponse& response) {
  xml::AppendWritten(parent, [&](xml::XmlWriter& w) {
    w.Open("rs:RegistryResponse");
    w.Attr("xmlns:rs", vocab::kRsNs);
    w.Attr("status", ResponseStatusUrn(response.status()));
    WriteRegistryErrorList(w, response.errors(), /*declare_rs=*/false);
    w.Close();
  });
}

std::string AdhocQueryResponseXml(const StoredQueryResponse& response) {
  std::string out;
  // About what a DocumentEntry takes (6 KB with its codes and authors), so that a LeafClass
  // answer is not copied as it grows.
  out.reserve(1024 + 6144 * response.document_entries_size() +
              2048 * (response.submission_sets_size() + response.folders_size() + response.associations_size()) +
              128 * response.object_refs_size());
  xml::XmlWriter w(&out);
  w.Open("query:AdhocQueryResponse");
  w.Attr("xmlns:query", vocab::kQueryNs);
  w.Attr("xmlns:rim", vocab::kRimNs);
  w.Attr("xmlns:rs", vocab::kRsNs);
  w.Attr("status", ResponseStatusUrn(response.response().status()));
  WriteRegistryErrorList(w, response.response().errors(), /*declare_rs=*/false);
  w.Open("rim:RegistryObjectList");
  for (const DocumentEntry& entry : response.document_entries()) internal::WriteDocumentEntry(w, entry);
  for (const SubmissionSet& set : response.submission_sets()) internal::WriteSubmissionSet(w, set);
  for (const Folder& folder : response.folders()) internal::WriteFolder(w, folder);
  for (const Association& a : response.associations()) internal::WriteAssociation(w, a);
  for (const std::string& id : response.object_refs()) WriteObjectRef(w, id, response.object_refs_home());
  w.Close();
  w.Close();
  return out;
}

void AppendAdhocQueryResponse(pugi::xml_node parent, const StoredQueryResponse& response) {
  xml::AppendFragment(parent, AdhocQueryResponseXml(response));
}

void AppendSubmitObjectsRequest(pugi::xml_node parent, const Submission& submission) {
  xml::AppendWritten(parent, [&](xml::XmlWriter& w) {
    w.Open("lcm:SubmitObjectsRequest");
    w.Attr("xmlns:lcm", vocab::kLcmNs);
    w.Attr("xmlns:rim", vocab::kRimNs);
    w.Open("rim:RegistryObjectList");
    for (const SubmissionSet& set : submission.submission_sets()) internal::WriteSubmissionSet(w, set);
    for (const Folder& folder : submission.folders()) internal::WriteFolder(w, folder);
    for (const DocumentEntry& entry : submission.document_entries()) internal::WriteDocumentEntry(w, entry);
    for (const Association& a : submission.associations()) internal::WriteAssociation(w, a);
    for (const std::string& id : submission.object_refs()) WriteObjectRef(w, id);
    w.Close();
    w.Close();
  });
}

void AppendRemoveObjectsRequest(pugi::xml_node parent, const RemoveMetadataRequest& request) {
  xml::AppendWritten(parent, [&](xml::XmlWriter& w) {
    w.Open("lcm:RemoveObjectsRequest");
    w.Attr("xmlns:lcm", vocab::kLcmNs);
    w.Attr("xmlns:rim", vocab::kRimNs);
    w.Open("rim:ObjectRefList");
    for (const std::string& id : request.entry_uuids()) WriteObjectRef(w, id);
    w.Close();
    w.Close();
  });
}

void AppendAdhocQueryRequest(pugi::xml_node parent, const StoredQueryRequest& request) {
  xml::AppendWritten(parent, [&](xml::XmlWriter& w) {
    w.Open("query:AdhocQueryRequest");
    w.Attr("xmlns:query", vocab::kQueryNs);
    w.Attr("xmlns:rim", vocab::kRimNs);
    w.Open("query:ResponseOption");
    w.Attr("returnType",
           request.return_type() == OBJECT_REF ? vocab::kReturnTypeObjectRef : vocab::kReturnTypeLeafClass);
    w.Attr("returnComposedObjects", "true");
    w.Close();
    w.Open("rim:AdhocQuery");
    w.Attr("id", request.query_id());
    w.AttrIfPresent("home", request.home());
    for (const QueryParameter& parameter : request.parameters()) {
      w.Open("rim:Slot");
      w.Attr("name", parameter.name());
      w.Open("rim:ValueList");
      for (const std::string& value : parameter.values()) w.TextElement("rim:Value", value);
      w.Close();
      w.Close();
    }
    w.Close();
    w.Close();
  });
}

}  // namespace xds::ebrim
