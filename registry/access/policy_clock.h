// A counter that moves whenever any patient's policy changes, and that waiters can block
// on: what the repository's decision cache listens to (RegistryService.WatchPolicy), so
// that a revoke is effective at once on ITI-43 too.
#ifndef XDS_REGISTRY_ACCESS_POLICY_CLOCK_H_
#define XDS_REGISTRY_ACCESS_POLICY_CLOCK_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace xds {

class PolicyClock {
 public:
  int64_t Current() const {
    absl::MutexLock lock(&mu_);
    return generation_;
  }
  void Advance() {
    absl::MutexLock lock(&mu_);
    ++generation_;
  }
  // Returns the generation once it differs from `known`, or at `deadline` (then it may
  // still equal `known`).
  int64_t WaitBeyond(int64_t known, absl::Time deadline) const {
    absl::MutexLock lock(&mu_);
    auto moved = [this, known]() { return generation_ != known; };
    mu_.AwaitWithDeadline(absl::Condition(&moved), deadline);
    return generation_;
  }

 private:
  mutable absl::Mutex mu_;
  // Starts at the process's start time: a restarted registry never reuses a generation a
  // repository cached decisions under.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = absl::ToUnixMicros(absl::Now());
};

}  // namespace xds

#endif  // XDS_REGISTRY_ACCESS_POLICY_CLOCK_H_
