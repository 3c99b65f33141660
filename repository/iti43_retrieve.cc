#include "repository/iti43_retrieve.h"

#include "absl/strings/str_cat.h"
#include "registry/shared/model/errors.h"

namespace xds {

std::optional<RegistryError> DocumentRequestError(const DocumentRequest& dr, const RetrieveOptions& options) {
  const std::string& home = dr.home_community_id();
  const std::string& repository = dr.repository_unique_id();
  const std::string& uid = dr.document_unique_id();
  if (uid.empty()) return MakeError(err::kDocumentUniqueIdError, "A DocumentRequest has no DocumentUniqueId", "");
  if (repository != options.repository_unique_id) {  // Q4
    return MakeError(
        err::kUnknownRepositoryId,
        absl::StrCat("Repository ", repository, " is not this repository (", options.repository_unique_id, ")"), uid);
  }
  if (!home.empty() && !options.home_community_id.empty() && home != options.home_community_id) {
    return MakeError(err::kUnknownCommunity, absl::StrCat("homeCommunityId ", home, " is not this community"), uid);
  }
  return std::nullopt;
}

RetrieveResult RetrieveDocumentSet(const RetrieveDocumentSetRequest& request, DocumentStore* store,
                                   const RetrieveOptions& options, const absl::StatusOr<AccessCache::Decision>* access,
                                   CallOutcome& outcome) {
  RetrieveResult result;
  RegistryResponse& response = *result.response.mutable_response();
  for (const DocumentRequest& dr : request.document_requests()) {
    const std::string& home = dr.home_community_id();
    const std::string& repository = dr.repository_unique_id();
    const std::string& uid = dr.document_unique_id();
    if (std::optional<RegistryError> error = DocumentRequestError(dr, options)) {
      *response.add_errors() = std::move(*error);
      continue;
    }
    if (access != nullptr && !access->ok()) {
      outcome.Fail(err::kRepositoryError.name,
                   absl::StrCat("document ", uid, ": access decision: ", access->status().ToString()));
      *response.add_errors() =
          MakeError(err::kRepositoryError, "The repository could not check access to this document; retry later", uid);
      continue;
    }
    auto found = store->Lookup(uid);
    if (!found.ok()) {
      outcome.Fail(err::kRepositoryError.name, absl::StrCat("document ", uid, ": lookup: ", found.status().ToString()));
      *response.add_errors() =
          MakeError(err::kRepositoryError, "The repository could not read its document index", uid);
      continue;
    }
    // Q3; a document the requester may not see is indistinguishable from an unknown one.
    const bool hidden = found->has_value() && access != nullptr && !(*access)->permitted.count(uid);
    if (hidden) {
      ++result.hidden;
      result.patient_ids.push_back((*found)->patient_id);
    }
    if (!found->has_value() || hidden) {
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
    DocumentResponse* document = result.response.add_document_responses();
    document->set_home_community_id(home.empty() ? options.home_community_id : home);
    document->set_repository_unique_id(repository);
    document->set_document_unique_id(uid);
    document->set_mime_type((*found)->mime_type);
    result.contents.push_back(std::move(*content));
    result.patient_ids.push_back((*found)->patient_id);
  }
  if (request.document_requests_size() == 0) {
    *response.add_errors() =
        MakeError(err::kRepositoryError, "The RetrieveDocumentSetRequest has no DocumentRequest", "");
  }
  // Q5 (TF-3 Table 4.2.4.2-4).
  if (response.errors_size() == 0) {
    response.set_status(SUCCESS);
  } else {
    response.set_status(result.contents.empty() ? FAILURE : PARTIAL_SUCCESS);
  }
  return result;
}

}  // namespace xds
