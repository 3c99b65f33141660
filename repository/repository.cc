#include "repository/repository.h"

#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "registry/shared/audit/describe.h"
#include "registry/shared/model/errors.h"

namespace xds {
namespace {

// The gate's refusal, as the XDS answer of an ITI transaction.
absl::Status Refused(const absl::Status& admitted, CallOutcome& outcome) {
  outcome.Fail(absl::StatusCodeToString(admitted.code()), "");
  return admitted;
}

// A document handed out, as the audit event names it: its patient comes from the index.
void DescribeDocument(const StoredDocument& document, const std::string& repository_unique_id, AuditEvent* event) {
  audit::AddPatient(document.patient_id, event);
  event->add_document_unique_ids(document.unique_id);
  event->add_class_codes(document.class_code);
  event->add_repository_unique_ids(repository_unique_id);
}

// ITI-43 and ITI-86: every document asked for; the patients of those answered (removed).
void DescribeRetrieve(const RetrieveDocumentSetRequest& request, const RetrieveResult& result, AuditEvent* event) {
  std::set<std::string> answered;
  for (const DocumentResponse& document : result.response.document_responses()) {
    answered.insert(document.document_unique_id());
  }
  for (const DocumentRequest& asked : request.document_requests()) {
    event->add_document_unique_ids(asked.document_unique_id());
    event->add_repository_unique_ids(asked.repository_unique_id());
  }
  for (const std::string& patient : result.patient_ids) audit::AddPatient(patient, event);
}

}  // namespace

Repository::Repository(std::unique_ptr<DocumentStore> store, std::unique_ptr<RegistryClient> registry,
                       RepositoryOptions options)
    : store_(std::move(store)),
      registry_(std::move(registry)),
      options_(std::move(options)),
      provide_and_register_(store_.get(), registry_.get(), options_.provide_and_register),
      access_(options_.access_decision ? std::make_unique<AccessCache>(registry_.get(), options_.access_cache_ttl)
                                       : nullptr),
      gate_("xds-repository", options_.gate) {}

size_t Repository::RecoverAtStartup() { return provide_and_register_.RecoverAtStartup(); }

absl::StatusOr<RegistryResponse> Repository::ProvideAndRegister(const CallContext& context,
                                                                ProvideAndRegisterRequest request) {
  GatedCall call(gate_, context, "ITI-41");
  if (!call.admitted().ok()) return Refused(call.admitted(), call.outcome());
  audit::DescribeSubmission(request.submission, &call.event());
  RegistryResponse response =
      provide_and_register_.ProvideAndRegister(std::move(request), context.node.organization_id, call.outcome());
  call.outcome().Answered(response);
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return response;
}

absl::StatusOr<RetrieveResult> Repository::Retrieve(const CallContext& context,
                                                    const RetrieveDocumentSetRequest& request,
                                                    std::vector<RegistryError> decode_errors) {
  GatedCall call(gate_, context, "ITI-43");
  if (!call.admitted().ok()) return Refused(call.admitted(), call.outcome());
  RetrieveResult result;
  if (!decode_errors.empty()) {
    *result.response.mutable_response() = FailureResponse(std::move(decode_errors));
  } else {
    std::optional<absl::StatusOr<AccessCache::Decision>> access;
    if (access_) {
      std::vector<std::string> ours;
      for (const DocumentRequest& dr : request.document_requests()) {
        if (dr.repository_unique_id() == options_.retrieve.repository_unique_id) {
          ours.push_back(dr.document_unique_id());
        }
      }
      access = access_->Decide(context, ours);
      if (access->ok() && !(*access)->break_the_glass.empty()) {
        audit::AppendDetail(
            absl::StrCat("break-the-glass: ", (*access)->break_the_glass.size(), " documents opened by the emergency"),
            &call.event());
      }
    }
    result = RetrieveDocumentSet(request, store_.get(), options_.retrieve, access ? &*access : nullptr, call.outcome());
  }
  DescribeRetrieve(request, result, &call.event());
  if (result.hidden > 0) {
    audit::AppendDetail(absl::StrCat("access policy: ", result.hidden, " documents hidden"), &call.event());
  }
  call.outcome().Answered(result.response.response());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return result;
}

absl::StatusOr<RegistryResponse> Repository::RemoveDocuments(const CallContext& context,
                                                             const RetrieveDocumentSetRequest& request,
                                                             std::vector<RegistryError> decode_errors) {
  GatedCall call(gate_, context, "ITI-86");
  if (!call.admitted().ok()) return Refused(call.admitted(), call.outcome());
  RemoveDocumentsResult result;
  if (!decode_errors.empty()) {
    result.response = FailureResponse(std::move(decode_errors));
  } else {
    result = xds::RemoveDocuments(request, store_.get(), options_.retrieve, call.outcome());
  }
  // Every document asked for; the patients of those removed.
  RetrieveResult described;
  for (const StoredDocument& d : result.removed) described.patient_ids.push_back(d.patient_id);
  DescribeRetrieve(request, described, &call.event());
  call.outcome().Answered(result.response);
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return result.response;
}

absl::StatusOr<RetrievedDocument> Repository::RetrieveDocument(const CallContext& context,
                                                               const std::string& unique_id) {
  GatedCall call(gate_, context, "Retrieve");
  if (!call.admitted().ok()) return Refused(call.admitted(), call.outcome());
  auto document = store_->Lookup(unique_id);
  if (!document.ok()) {
    call.outcome().Fail("UNAVAILABLE",
                        absl::StrCat("document ", unique_id, ": lookup: ", document.status().ToString()));
    return absl::UnavailableError("the document store could not be read");
  }
  bool hidden = false;
  if (access_ && document->has_value()) {
    absl::StatusOr<AccessCache::Decision> access = access_->Decide(context, {unique_id});
    if (!access.ok()) {
      call.outcome().Fail("UNAVAILABLE",
                          absl::StrCat("document ", unique_id, ": access decision: ", access.status().ToString()));
      return absl::UnavailableError("the registry's access decision could not be had; retry later");
    }
    hidden = access->permitted.count(unique_id) == 0;
    if (!access->break_the_glass.empty()) audit::AppendDetail("break-the-glass", &call.event());
  }
  if (!document->has_value() || hidden) {  // a hidden document is answered like an unknown one
    call.outcome().Fail("NOT_FOUND", "");
    return absl::NotFoundError("no document with uniqueId " + unique_id + " in this repository");
  }
  auto content = store_->Read(**document);
  if (!content.ok()) {
    call.outcome().Fail("UNAVAILABLE", absl::StrCat("document ", unique_id, ": read: ", content.status().ToString()));
    return absl::UnavailableError("the document could not be read");
  }
  DescribeDocument(**document, options_.retrieve.repository_unique_id, &call.event());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return RetrievedDocument{std::move(**document), std::move(*content)};
}

}  // namespace xds
