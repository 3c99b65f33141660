// Patients' policies as the store last gave them, for the access decision of every query:
// reading a policy is several statements in a snapshot, more than the rest of an ObjectRef
// query's policy work. Entries are valid only at the PolicyClock generation they were read
// at; every change of any policy advances it after its commit, so a change is seen by the
// next query (the generation is read before the store, so a read that raced a change is
// kept under the older generation and dropped).
#ifndef XDS_REGISTRY_ACCESS_POLICY_CACHE_H_
#define XDS_REGISTRY_ACCESS_POLICY_CACHE_H_

#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "registry/access/policy_clock.h"
#include "registry/policy/policy.h"
#include "registry/store/metadata_store.h"

namespace xds {

class PolicyCache {
 public:
  PolicyCache(MetadataStore& store, const PolicyClock& clock, size_t max_patients = 100000)
      : store_(store), clock_(clock), max_patients_(max_patients) {}

  // Her policy; a patient not in the index has an empty one (she decided nothing).
  absl::StatusOr<policy::PatientPolicy> Get(const std::string& patient_id) {
    const int64_t generation = clock_.Current();
    {
      absl::MutexLock lock(&mu_);
      if (generation != generation_) {
        entries_.clear();
        generation_ = generation;
      }
      auto it = entries_.find(patient_id);
      if (it != entries_.end()) return it->second;
    }
    absl::StatusOr<policy::PatientPolicy> read = store_.PatientPolicyOf(patient_id);
    if (absl::IsNotFound(read.status())) {
      read = policy::PatientPolicy();
      read->patient_id = patient_id;
    }
    if (!read.ok()) return read.status();
    absl::MutexLock lock(&mu_);
    if (generation == generation_) {
      if (entries_.size() >= max_patients_) entries_.clear();
      entries_.emplace(patient_id, *read);
    }
    return read;
  }

 private:
  MetadataStore& store_;
  const PolicyClock& clock_;
  const size_t max_patients_;
  absl::Mutex mu_;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = -1;
  std::unordered_map<std::string, policy::PatientPolicy> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xds

#endif  // XDS_REGISTRY_ACCESS_POLICY_CACHE_H_
