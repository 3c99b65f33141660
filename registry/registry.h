// The Document Registry: ITI-42 registration, ITI-18 stored queries and the patient index,
// on the canonical model. The SOAP endpoint and the gRPC service are thin adapters over it.
#ifndef XDS_REGISTRY_REGISTRY_H_
#define XDS_REGISTRY_REGISTRY_H_

#include <memory>
#include <string>

#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"
#include "registry/store/metadata_store.h"
#include "registry/shared/validation/metadata_validator.h"

namespace xds {

struct RegistryOptions {
  // Assigning-authority OID of the affinity domain; patient ids admitted to the index must
  // use it (CX `id^^^&OID&ISO`). Empty = any authority.
  std::string patient_authority;
  std::string home_community_id;    // urn:oid:..., set as `home` on returned objects when not empty
  ValidationOptions validation;
  size_t max_leaf_class_results = 1000;   // larger LeafClass answers get XDSTooManyResults
  size_t max_object_ref_results = 10000;  // likewise for ObjectRef
};

class Registry {
 public:
  Registry(std::unique_ptr<MetadataStore> store, RegistryOptions options);

  // ITI-42: validates the submission, assigns entryUUIDs to symbolic ids, and stores it all
  // or nothing. Failure responses list every error found.
  RegistryResponse Register(Submission submission);

  // ITI-18.
  StoredQueryResponse StoredQuery(const StoredQueryRequest& request);

  // Patient index. Returns an InvalidArgument status for ids that are not CX of the domain.
  absl::StatusOr<bool> AddPatient(const std::string& patient_id);
  absl::StatusOr<std::vector<std::string>> ListPatients();

  MetadataStore& store() { return *store_; }
  const RegistryOptions& options() const { return options_; }

 private:
  std::unique_ptr<MetadataStore> store_;
  RegistryOptions options_;
};

// The registry's clock for lastUpdateTime.
std::string CurrentDtm();  // UTC, 14 digits

}  // namespace xds

#endif  // XDS_REGISTRY_REGISTRY_H_
