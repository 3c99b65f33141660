#include "repository/iti86/iti86_remove_documents.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "registry/shared/model/errors.h"

namespace xds {

RemoveDocumentsResult RemoveDocuments(const RetrieveDocumentSetRequest& request, DocumentStore* store,
                                      const RetrieveOptions& options, CallOutcome& outcome) {
  RemoveDocumentsResult result;
  RegistryResponse& response = result.response;
  std::vector<std::string> ids;
  std::set<std::string> asked;
  for (const DocumentRequest& dr : request.document_requests()) {
    if (std::optional<RegistryError> error = DocumentRequestError(dr, options)) {
      *response.add_errors() = std::move(*error);
      continue;
    }
    const std::string& uid = dr.document_unique_id();
    if (!asked.insert(uid).second) continue;  // the same document twice is removed once
    auto found = store->Lookup(uid);
    if (!found.ok()) {
      outcome.Fail(err::kRemoveDocumentsError.name,
                   absl::StrCat("document ", uid, ": lookup: ", found.status().ToString()));
      *response.add_errors() =
          MakeError(err::kRemoveDocumentsError, "The repository could not read its document index", uid);
      continue;
    }
    if (!found->has_value()) {
      *response.add_errors() = MakeError(err::kDocumentUniqueIdError,
                                         absl::StrCat("Document ", uid, " is not available in this repository"), uid);
      continue;
    }
    ids.push_back(uid);
    result.removed.push_back(**found);
  }
  if (request.document_requests_size() == 0) {
    *response.add_errors() =
        MakeError(err::kRemoveDocumentsError, "The RemoveDocumentsRequest has no DocumentRequest", "");
  }
  if (!ids.empty()) {
    auto removed = store->Remove(ids);
    if (!removed.ok()) {
      outcome.Fail(err::kRemoveDocumentsError.name, absl::StrCat("remove: ", removed.status().ToString()));
      for (const std::string& uid : ids) {
        *response.add_errors() =
            MakeError(err::kRemoveDocumentsError, "The repository could not remove the document; retry later", uid);
      }
      result.removed.clear();
    } else {
      // A document removed meanwhile by a concurrent request is no longer ours to report.
      std::set<std::string> gone(removed->begin(), removed->end());
      std::vector<StoredDocument> kept;
      for (StoredDocument& d : result.removed) {
        if (gone.count(d.unique_id)) {
          kept.push_back(std::move(d));
        } else {
          *response.add_errors() =
              MakeError(err::kDocumentUniqueIdError,
                        absl::StrCat("Document ", d.unique_id, " is not available in this repository"), d.unique_id);
        }
      }
      result.removed = std::move(kept);
    }
  }
  if (response.errors_size() == 0) {
    response.set_status(SUCCESS);
  } else {
    response.set_status(result.removed.empty() ? FAILURE : PARTIAL_SUCCESS);
  }
  return result;
}

}  // namespace xds
