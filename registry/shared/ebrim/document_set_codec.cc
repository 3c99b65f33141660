#include "registry/shared/ebrim/document_set_codec.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/ebrim/xml_util.h"
#include "registry/shared/mime/base64.h"
#include "registry/shared/model/errors.h"

namespace xds::ebrim {
namespace {

std::string ChildText(const pugi::xml_node& parent, const char* local) {
  return std::string(absl::StripAsciiWhitespace(xml::Child(parent, vocab::kXdsNs, local).child_value()));
}

}  // namespace

ProvideAndRegisterRequest ParseProvideAndRegisterRequest(const pugi::xml_node& body, const mime::Multipart& multipart) {
  ProvideAndRegisterRequest out;
  if (!xml::Is(body, vocab::kXdsNs, "ProvideAndRegisterDocumentSetRequest")) {
    out.errors.push_back(
        MakeError(err::kRepositoryMetadataError,
                  "ProvideAndRegisterDocumentSet-b expects an xds:ProvideAndRegisterDocumentSetRequest body"));
    return out;
  }
  pugi::xml_node submit = xml::Child(body, vocab::kLcmNs, "SubmitObjectsRequest");
  if (!submit) {
    out.errors.push_back(MakeError(err::kRepositoryMetadataError,
                                   "ProvideAndRegisterDocumentSetRequest holds no lcm:SubmitObjectsRequest"));
  } else {
    ParsedSubmission parsed = ParseSubmitObjectsRequest(submit);
    out.submission = std::move(parsed.submission);
    for (RegistryError& e : parsed.errors) {
      // The repository found these, so they carry the repository's code (TF-3 Table 4.2.4.1-2).
      if (HasCode(e, err::kRegistryMetadataError)) e.set_code(err::kRepositoryMetadataError.name);
      out.errors.push_back(std::move(e));
    }
  }

  std::set<const mime::Part*> referenced_parts;
  for (pugi::xml_node document = body.first_child(); document; document = document.next_sibling()) {
    if (!xml::Is(document, vocab::kXdsNs, "Document")) continue;
    std::string id = xml::Attr(document, "id");
    if (id.empty()) {
      out.errors.push_back(MakeError(err::kRepositoryMetadataError, "An xds:Document has no id attribute"));
      continue;
    }
    if (out.documents.count(id) || out.unusable_documents.count(id)) {
      out.errors.push_back(
          MakeError(err::kRepositoryMetadataError, absl::StrCat("Two xds:Document elements have the id ", id)));
      out.documents.erase(id);
      out.unusable_documents.insert(id);
      continue;
    }
    pugi::xml_node include;
    for (pugi::xml_node child = document.first_child(); child; child = child.next_sibling()) {
      if (xml::Is(child, vocab::kXopNs, "Include")) include = child;
    }
    if (include) {
      std::string href = include.attribute("href").value();
      const mime::Part* part = multipart.parts.empty() ? nullptr : mime::FindByCid(multipart, href);
      if (part == nullptr) {
        out.errors.push_back(MakeError(
            err::kMissingDocument,
            absl::StrCat("xds:Document ", id, " refers to ", href, ", which is not a part of this message"), id));
        out.unusable_documents.insert(id);
        continue;
      }
      referenced_parts.insert(part);
      out.documents[id] = part->body;
      continue;
    }
    auto decoded = DecodeBase64(document.child_value());
    if (!decoded.ok()) {
      out.errors.push_back(
          MakeError(err::kRepositoryMetadataError,
                    absl::StrCat("xds:Document ", id, " is not valid base64: ", decoded.status().message()), id));
      out.unusable_documents.insert(id);
      continue;
    }
    out.decoded.push_back(std::move(*decoded));
    out.documents[id] = out.decoded.back();
  }
  // P4 for MIME parts: an attachment no xds:Document refers to has no metadata either.
  for (size_t i = 0; i < multipart.parts.size(); ++i) {
    if (i == multipart.root_index || referenced_parts.count(&multipart.parts[i])) continue;
    out.errors.push_back(MakeError(
        err::kMissingDocumentMetadata,
        absl::StrCat("MIME part <", multipart.parts[i].content_id, "> is not referenced by any xds:Document")));
  }
  return out;
}

namespace {
// The xds:DocumentRequest children of an ITI-43 or ITI-86 body (the same schema type).
void ReadDocumentRequests(const pugi::xml_node& body, ParsedRetrieveRequest* parsed) {
  ParsedRetrieveRequest& out = *parsed;
  for (pugi::xml_node dr = body.first_child(); dr; dr = dr.next_sibling()) {
    if (!xml::Is(dr, vocab::kXdsNs, "DocumentRequest")) continue;
    DocumentRequest* request = out.request.add_document_requests();
    request->set_home_community_id(ChildText(dr, "HomeCommunityId"));
    request->set_repository_unique_id(ChildText(dr, "RepositoryUniqueId"));
    request->set_document_unique_id(ChildText(dr, "DocumentUniqueId"));
  }
}

}  // namespace

ParsedRetrieveRequest ParseRetrieveDocumentSetRequest(const pugi::xml_node& body) {
  ParsedRetrieveRequest out;
  if (!xml::Is(body, vocab::kXdsNs, "RetrieveDocumentSetRequest")) {
    out.errors.push_back(
        MakeError(err::kRepositoryError, "RetrieveDocumentSet expects an xds:RetrieveDocumentSetRequest body", ""));
    return out;
  }
  ReadDocumentRequests(body, &out);
  return out;
}

ParsedRetrieveRequest ParseRemoveDocumentsRequest(const pugi::xml_node& body) {
  ParsedRetrieveRequest out;
  if (!xml::Is(body, vocab::kRmdNs, "RemoveDocumentsRequest")) {
    out.errors.push_back(
        MakeError(err::kRemoveDocumentsError, "RemoveDocuments expects an rmd:RemoveDocumentsRequest body", ""));
    return out;
  }
  ReadDocumentRequests(body, &out);
  return out;
}

void AppendRetrieveDocumentSetResponse(pugi::xml_node parent, const RetrieveDocumentSetResponse& response,
                                       const std::vector<std::string>& content_ids) {
  pugi::xml_node root = parent.append_child("xds:RetrieveDocumentSetResponse");
  root.append_attribute("xmlns:xds") = vocab::kXdsNs;
  AppendRegistryResponse(root, response.response());
  for (int i = 0; i < response.document_responses_size(); ++i) {
    const DocumentResponse& d = response.document_responses(i);
    pugi::xml_node element = root.append_child("xds:DocumentResponse");
    // Schema order: HomeCommunityId?, RepositoryUniqueId, DocumentUniqueId, mimeType, Document.
    if (!d.home_community_id().empty())
      element.append_child("xds:HomeCommunityId").text() = d.home_community_id().c_str();
    element.append_child("xds:RepositoryUniqueId").text() = d.repository_unique_id().c_str();
    element.append_child("xds:DocumentUniqueId").text() = d.document_unique_id().c_str();
    element.append_child("xds:mimeType").text() = d.mime_type().c_str();
    pugi::xml_node include = element.append_child("xds:Document").append_child("xop:Include");
    include.append_attribute("xmlns:xop") = vocab::kXopNs;
    include.append_attribute("href") = mime::CidHref(content_ids[i]).c_str();
  }
}

}  // namespace xds::ebrim
