#include "repository/registry_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "proto/registry_service.grpc.pb.h"
#include "registry/shared/ebrim/vocabulary.h"

namespace xds {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("registry: ", status.error_message()));
}

class GrpcRegistryClient : public RegistryClient {
 public:
  GrpcRegistryClient(const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials,
                     absl::Duration timeout)
      : stub_(RegistryService::NewStub(grpc::CreateChannel(target, std::move(credentials)))), timeout_(timeout) {}

  absl::StatusOr<RegistryResponse> Register(const Submission& submission, const std::string& on_behalf_of) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    RegisterRequest request;
    *request.mutable_submission() = submission;
    request.set_on_behalf_of_organization_id(on_behalf_of);
    RegistryResponse response;
    grpc::Status status = stub_->Register(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    return response;
  }

  absl::StatusOr<std::vector<DocumentEntry>> GetDocumentsByUniqueId(
      const std::vector<std::string>& unique_ids) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    StoredQueryRequest request;
    request.set_query_id(vocab::kQueryGetDocuments);
    request.set_return_type(LEAF_CLASS);
    QueryParameter* parameter = request.add_parameters();
    parameter->set_name("$XDSDocumentEntryUniqueId");
    // TF-18 list coding: ('a','b'); quotes inside values are doubled.
    std::vector<std::string> quoted;
    for (const std::string& id : unique_ids) {
      std::string q = "'";
      for (char c : id) q += c == '\'' ? std::string("''") : std::string(1, c);
      quoted.push_back(q + "'");
    }
    parameter->add_values("(" + absl::StrJoin(quoted, ",") + ")");
    StoredQueryResponse response;
    grpc::Status status = stub_->StoredQuery(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    if (response.response().status() != SUCCESS) {
      std::string why = response.response().errors_size() > 0 ? response.response().errors(0).context() : "";
      return absl::InternalError(absl::StrCat("registry: GetDocuments failed: ", why));
    }
    return std::vector<DocumentEntry>(response.document_entries().begin(), response.document_entries().end());
  }

  absl::StatusOr<AccessDecisionResponse> AccessDecision(const AccessDecisionRequest& request) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    AccessDecisionResponse response;
    grpc::Status status = stub_->AccessDecision(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    return response;
  }

  absl::Status WatchPolicy(const std::function<void(const PolicyGeneration&)>& on_generation) override {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return absl::CancelledError("stopped");
      watching_ = &context;
    }
    std::unique_ptr<grpc::ClientReader<PolicyGeneration>> reader = stub_->WatchPolicy(&context, WatchPolicyRequest());
    PolicyGeneration g;
    while (reader->Read(&g)) on_generation(g);
    grpc::Status status = reader->Finish();
    absl::MutexLock lock(&mu_);
    watching_ = nullptr;
    return status.ok() ? absl::UnavailableError("registry: the policy stream ended") : FromGrpc(status);
  }

  void StopWatching() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    if (watching_ != nullptr) watching_->TryCancel();
  }

 private:
  std::unique_ptr<RegistryService::Stub> stub_;
  absl::Duration timeout_;
  absl::Mutex mu_;
  grpc::ClientContext* watching_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

std::unique_ptr<RegistryClient> MakeGrpcRegistryClient(const std::string& target,
                                                       std::shared_ptr<grpc::ChannelCredentials> credentials,
                                                       absl::Duration timeout) {
  return std::make_unique<GrpcRegistryClient>(target, std::move(credentials), timeout);
}

}  // namespace xds
