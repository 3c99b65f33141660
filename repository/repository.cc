#include "repository/repository.h"

#include "absl/strings/str_cat.h"
#include "registry/shared/model/errors.h"

namespace xds {
namespace {

// Records a transaction's XDS outcome for the gate: a Failure fails the call, with its first
// error's code unless the transaction already named the internal failure (which also fails
// a PartialSuccess: its detail must reach the log).
void Record(const RegistryResponse& response, CallOutcome& outcome) {
  if (response.status() != SUCCESS && response.status() != PARTIAL_SUCCESS) {
    outcome.Fail(response.errors_size() > 0 ? response.errors(0).code() : "", "");
  }
}

// The gate's refusal, as the XDS answer of an ITI transaction.
absl::Status Refused(const absl::Status& admitted, CallOutcome& outcome) {
  outcome.Fail(absl::StatusCodeToString(admitted.code()), "");
  return admitted;
}

}  // namespace

Repository::Repository(std::unique_ptr<DocumentStore> store, std::unique_ptr<RegistryClient> registry,
                       RepositoryOptions options)
    : store_(std::move(store)),
      registry_(std::move(registry)),
      options_(std::move(options)),
      provide_and_register_(store_.get(), registry_.get(), options_.provide_and_register),
      gate_("xds-repository", options_.gate) {}

size_t Repository::RecoverAtStartup() { return provide_and_register_.RecoverAtStartup(); }

absl::StatusOr<RegistryResponse> Repository::ProvideAndRegister(const CallContext& context,
                                                                ProvideAndRegisterRequest request) {
  GatedCall call(gate_, context, "ITI-41");
  if (!call.admitted().ok()) return Refused(call.admitted(), call.outcome());
  RegistryResponse response = provide_and_register_.ProvideAndRegister(std::move(request), call.outcome());
  Record(response, call.outcome());
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
    result = RetrieveDocumentSet(request, store_.get(), options_.retrieve, call.outcome());
  }
  Record(result.response.response(), call.outcome());
  return result;
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
  if (!document->has_value()) {
    call.outcome().Fail("NOT_FOUND", "");
    return absl::NotFoundError("no document with uniqueId " + unique_id + " in this repository");
  }
  auto content = store_->Read(**document);
  if (!content.ok()) {
    call.outcome().Fail("UNAVAILABLE", absl::StrCat("document ", unique_id, ": read: ", content.status().ToString()));
    return absl::UnavailableError("the document could not be read");
  }
  return RetrievedDocument{std::move(**document), std::move(*content)};
}

}  // namespace xds
