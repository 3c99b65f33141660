// ITI-43's access check (issue 16): asks the registry's decision point which documents the
// requester may retrieve, and remembers the answers briefly. A remembered answer is used
// only while the registry's policy stream (WatchPolicy) is connected and still at the
// generation the answer was given under, and for at most `ttl` (consent rules and
// relationships also end by time). A revoke moves the generation before the consent desk
// answers, so it is effective here at once; with the stream down every retrieve asks.
// A registry without a domain policy says so (PolicyGeneration.enforced = false): then
// nothing is asked, and documents stay retrievable while that registry is away (documents
// stay at the source). Under a policy, no decision means no document.
#ifndef XDS_REPOSITORY_ACCESS_CACHE_H_
#define XDS_REPOSITORY_ACCESS_CACHE_H_

#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "registry/shared/service/call_context.h"
#include "repository/registry_client.h"

namespace xds {

class AccessCache {
 public:
  // `ttl` zero: remember nothing. Starts listening to the registry's policy stream.
  AccessCache(RegistryClient* registry, absl::Duration ttl);
  ~AccessCache();

  struct Decision {
    std::set<std::string> permitted;        // the uniqueIds the caller may retrieve
    std::set<std::string> break_the_glass;  // those of them only the emergency opened
  };
  // Non-OK when the registry could not be asked (then nothing may be handed out).
  absl::StatusOr<Decision> Decide(const CallContext& context, const std::vector<std::string>& unique_ids);

  struct Stats {
    int64_t hits = 0;
    int64_t asked = 0;  // uniqueIds sent to the registry
    bool listening = false;
  };
  Stats stats() const;

 private:
  // organisation, professional, purpose of use, uniqueId
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  struct Entry {
    bool permitted;
    bool break_the_glass;
    int64_t generation;
    absl::Time expires;
  };
  void Listen();

  RegistryClient* const registry_;
  const absl::Duration ttl_;
  mutable absl::Mutex mu_;
  std::map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = -1;
  // What the registry last said: 1 enforces a policy, 0 none, -1 not heard from yet.
  int enforced_ ABSL_GUARDED_BY(mu_) = -1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread listener_;
};

}  // namespace xds

#endif  // XDS_REPOSITORY_ACCESS_CACHE_H_
