// An ITI-41 request as the repository's transaction takes it: the submission's metadata
// and every xds:Document's octets, decoded by the codec
// (registry/shared/ebrim/document_set_codec.h) from XML and MIME parts.
#ifndef XDS_REGISTRY_SHARED_MODEL_PROVIDE_AND_REGISTER_REQUEST_H_
#define XDS_REGISTRY_SHARED_MODEL_PROVIDE_AND_REGISTER_REQUEST_H_

#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proto/xds_metadata.pb.h"

namespace xds {

// Move-only: `documents` views point into the MTOM parts (the HTTP body, which must
// outlive this) or into `decoded`.
struct ProvideAndRegisterRequest {
  ProvideAndRegisterRequest() = default;
  ProvideAndRegisterRequest(const ProvideAndRegisterRequest&) = delete;
  ProvideAndRegisterRequest& operator=(const ProvideAndRegisterRequest&) = delete;
  ProvideAndRegisterRequest(ProvideAndRegisterRequest&&) = default;
  ProvideAndRegisterRequest& operator=(ProvideAndRegisterRequest&&) = default;

  Submission submission;
  std::map<std::string, std::string_view> documents;  // xds:Document/@id -> octets
  std::set<std::string> unusable_documents;           // ids already reported as errors
  std::deque<std::string> decoded;                    // inline base64 contents, decoded
  std::vector<RegistryError> errors;                  // problems found while decoding
};

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_MODEL_PROVIDE_AND_REGISTER_REQUEST_H_
