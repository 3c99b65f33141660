#include "repository/iti43_retrieve.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/ebrim/xml_util.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/model/errors.h"
#include "registry/shared/soap/soap_envelope.h"

namespace xds {
namespace {

std::string ChildText(const pugi::xml_node& parent, const char* local) {
  return std::string(absl::StripAsciiWhitespace(ebrim::xml::Child(parent, vocab::kXdsNs, local).child_value()));
}

}  // namespace

RetrieveResult RetrieveDocumentSet(const pugi::xml_node& request, DocumentStore* store, const RetrieveOptions& options,
                                   CallOutcome& outcome) {
  RetrieveResult result;
  RegistryResponse& response = result.response;
  if (ebrim::xml::LocalName(request) != "RetrieveDocumentSetRequest" ||
      ebrim::xml::NamespaceOf(request) != vocab::kXdsNs) {
    response.set_status(FAILURE);
    *response.add_errors() =
        MakeError(err::kRepositoryError, "RetrieveDocumentSet expects an xds:RetrieveDocumentSetRequest body", "");
    return result;
  }
  size_t requested = 0;
  for (pugi::xml_node dr = request.first_child(); dr; dr = dr.next_sibling()) {
    if (dr.type() != pugi::node_element || ebrim::xml::LocalName(dr) != "DocumentRequest" ||
        ebrim::xml::NamespaceOf(dr) != vocab::kXdsNs) {
      continue;
    }
    ++requested;
    std::string home = ChildText(dr, "HomeCommunityId");
    std::string repository = ChildText(dr, "RepositoryUniqueId");
    std::string uid = ChildText(dr, "DocumentUniqueId");
    if (uid.empty()) {
      *response.add_errors() = MakeError(err::kDocumentUniqueIdError, "A DocumentRequest has no DocumentUniqueId", "");
      continue;
    }
    if (repository != options.repository_unique_id) {  // Q4
      *response.add_errors() = MakeError(
          err::kUnknownRepositoryId,
          absl::StrCat("Repository ", repository, " is not this repository (", options.repository_unique_id, ")"), uid);
      continue;
    }
    if (!home.empty() && !options.home_community_id.empty() && home != options.home_community_id) {
      *response.add_errors() =
          MakeError(err::kUnknownCommunity, absl::StrCat("homeCommunityId ", home, " is not this community"), uid);
      continue;
    }
    auto found = store->Lookup(uid);
    if (!found.ok()) {
      outcome.Fail(err::kRepositoryError.name, absl::StrCat("document ", uid, ": lookup: ", found.status().ToString()));
      *response.add_errors() =
          MakeError(err::kRepositoryError, "The repository could not read its document index", uid);
      continue;
    }
    if (!found->has_value()) {  // Q3
      *response.add_errors() = MakeError(err::kDocumentUniqueIdError,
                                         absl::StrCat("Document ", uid, " is not available in this repository"), uid);
      continue;
    }
    auto content = store->Read(**found);
    if (!content.ok()) {
      // The status names the file; the client learns only that this document failed.
      outcome.Fail(err::kRepositoryError.name, absl::StrCat("document ", uid, ": read: ", content.status().ToString()));
      *response.add_errors() = MakeError(
          err::kRepositoryError, absl::StrCat("Document ", uid, " could not be read from the repository's store"), uid);
      continue;
    }
    RetrievedDocument document;
    document.home_community_id = home.empty() ? options.home_community_id : home;
    document.repository_unique_id = repository;
    document.document_unique_id = uid;
    document.mime_type = (*found)->mime_type;
    document.content = std::move(*content);
    result.documents.push_back(std::move(document));
  }
  if (requested == 0) {
    *response.add_errors() =
        MakeError(err::kRepositoryError, "The RetrieveDocumentSetRequest has no DocumentRequest", "");
  }
  // Q5 (TF-3 Table 4.2.4.2-4).
  if (response.errors_size() == 0) {
    response.set_status(SUCCESS);
  } else {
    response.set_status(result.documents.empty() ? FAILURE : PARTIAL_SUCCESS);
  }
  return result;
}

void AppendRetrieveDocumentSetResponse(pugi::xml_node parent, const RetrieveResult& result,
                                       const std::vector<std::string>& content_ids) {
  pugi::xml_node root = parent.append_child("xds:RetrieveDocumentSetResponse");
  root.append_attribute("xmlns:xds") = vocab::kXdsNs;
  ebrim::AppendRegistryResponse(root, result.response);
  for (size_t i = 0; i < result.documents.size(); ++i) {
    const RetrievedDocument& d = result.documents[i];
    pugi::xml_node response = root.append_child("xds:DocumentResponse");
    // Schema order: HomeCommunityId?, RepositoryUniqueId, DocumentUniqueId, mimeType, Document.
    if (!d.home_community_id.empty()) response.append_child("xds:HomeCommunityId").text() = d.home_community_id.c_str();
    response.append_child("xds:RepositoryUniqueId").text() = d.repository_unique_id.c_str();
    response.append_child("xds:DocumentUniqueId").text() = d.document_unique_id.c_str();
    response.append_child("xds:mimeType").text() = d.mime_type.c_str();
    pugi::xml_node include = response.append_child("xds:Document").append_child("xop:Include");
    include.append_attribute("xmlns:xop") = vocab::kXopNs;
    include.append_attribute("href") = mime::CidHref(content_ids[i]).c_str();
  }
}

}  // namespace xds
