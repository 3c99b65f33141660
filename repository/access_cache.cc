#include "repository/access_cache.h"

#include <utility>

namespace xds {
namespace {
// A full cache is emptied rather than managed: entries live seconds anyway.
constexpr size_t kMaxEntries = 1 << 16;
}  // namespace

AccessCache::AccessCache(RegistryClient* registry, absl::Duration ttl) : registry_(registry), ttl_(ttl) {
  if (ttl_ > absl::ZeroDuration()) listener_ = std::thread([this] { Listen(); });
}

AccessCache::~AccessCache() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  registry_->StopWatching();
  if (listener_.joinable()) listener_.join();
}

void AccessCache::Listen() {
  absl::Duration backoff = absl::Milliseconds(100);
  for (;;) {
    registry_
        ->WatchPolicy([this, &backoff](const PolicyGeneration& g) {
          absl::MutexLock lock(&mu_);
          if (g.generation() != generation_) entries_.clear();
          generation_ = g.generation();
          enforced_ = g.enforced() ? 1 : 0;
          listening_ = true;
          backoff = absl::Milliseconds(100);
        })
        .IgnoreError();  // the stream ended: stop trusting the cache until it is back
    absl::MutexLock lock(&mu_);
    listening_ = false;
    entries_.clear();
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stop), backoff)) return;
    // At most a second: a registry that comes back with a policy must be heard soon.
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

absl::StatusOr<AccessCache::Decision> AccessCache::Decide(const CallContext& context,
                                                          const std::vector<std::string>& unique_ids) {
  const std::string& organization = context.requester_organization();
  const std::string& professional = context.claims.subject_id;
  const std::string& purpose = context.claims.purpose_of_use;
  Decision decision;
  AccessDecisionRequest ask;
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (enforced_ == 0) {
      decision.permitted.insert(unique_ids.begin(), unique_ids.end());
      return decision;
    }
    for (const std::string& uid : unique_ids) {
      auto it = entries_.find(Key{organization, professional, purpose, uid});
      if (listening_ && it != entries_.end() && it->second.generation == generation_ && now < it->second.expires) {
        ++stats_.hits;
        if (it->second.permitted) decision.permitted.insert(uid);
        if (it->second.break_the_glass) decision.break_the_glass.insert(uid);
        continue;
      }
      ask.add_document_unique_ids(uid);
    }
    stats_.asked += ask.document_unique_ids_size();
  }
  if (ask.document_unique_ids_size() == 0) return decision;
  ask.set_organization_id(organization);
  ask.set_professional_id(professional);
  ask.set_purpose_of_use(purpose);
  absl::StatusOr<AccessDecisionResponse> decided = registry_->AccessDecision(ask);
  if (!decided.ok()) return decided.status();
  const std::set<std::string> granted(decided->permitted_unique_ids().begin(), decided->permitted_unique_ids().end());
  const std::set<std::string> emergency(decided->break_the_glass_unique_ids().begin(),
                                        decided->break_the_glass_unique_ids().end());
  absl::MutexLock lock(&mu_);
  if (!listening_) enforced_ = decided->enforced() ? 1 : 0;
  if (entries_.size() > kMaxEntries) entries_.clear();
  for (const std::string& uid : ask.document_unique_ids()) {
    const bool ok = granted.count(uid) > 0, btg = emergency.count(uid) > 0;
    if (ok) decision.permitted.insert(uid);
    if (btg) decision.break_the_glass.insert(uid);
    // Only under the generation the stream reported: an answer of an older or newer one is
    // used this once.
    if (ttl_ > absl::ZeroDuration() && listening_ && decided->generation() == generation_) {
      entries_[Key{organization, professional, purpose, uid}] = Entry{ok, btg, decided->generation(), now + ttl_};
    }
  }
  return decision;
}

AccessCache::Stats AccessCache::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.listening = listening_;
  return s;
}

}  // namespace xds
