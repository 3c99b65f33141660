// The repository's view of the Document Registry: ITI-42 and the one stored query crash
// recovery needs, over the registry's gRPC service. An interface so that the ITI-41 logic
// can be tested against a fake registry.
#ifndef XDS_REPOSITORY_REGISTRY_CLIENT_H_
#define XDS_REPOSITORY_REGISTRY_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"

namespace xds {

class RegistryClient {
 public:
  virtual ~RegistryClient() = default;

  // ITI-42 Register Document Set-b. A RegistryResponse (Success or Failure) when the
  // registry answered. Unavailable when it could not be reached (nothing was registered);
  // DeadlineExceeded or another code when the outcome is unknown.
  // `on_behalf_of`: the organisation of the source whose ITI-41 this is (its certificate's;
  // empty over plain transport).
  virtual absl::StatusOr<RegistryResponse> Register(const Submission& submission,
                                                    const std::string& on_behalf_of = "") = 0;

  // The registry's access decision for ITI-43 (issue 16).
  virtual absl::StatusOr<AccessDecisionResponse> AccessDecision(const AccessDecisionRequest& request) = 0;

  // Streams the registry's policy generation into `on_generation` until the stream ends
  // (the registry went away, or `stop` was called); returns why it ended.
  virtual absl::Status WatchPolicy(const std::function<void(const PolicyGeneration&)>& on_generation) = 0;
  // Ends a running WatchPolicy (from another thread).
  virtual void StopWatching() = 0;

  // GetDocuments (LeafClass) by DocumentEntry uniqueIds: every DocumentEntry the registry
  // holds with one of these uniqueIds. Non-OK when the registry did not answer or failed.
  virtual absl::StatusOr<std::vector<DocumentEntry>> GetDocumentsByUniqueId(
      const std::vector<std::string>& unique_ids) = 0;
};

// A client of proto/registry_service.proto's RegistryService at `target` (host:port);
// each call gets `timeout` as its deadline. `credentials`: mutual TLS with this node's
// certificate, or insecure for development.
std::unique_ptr<RegistryClient> MakeGrpcRegistryClient(const std::string& target,
                                                       std::shared_ptr<grpc::ChannelCredentials> credentials,
                                                       absl::Duration timeout);

}  // namespace xds

#endif  // XDS_REPOSITORY_REGISTRY_CLIENT_H_
