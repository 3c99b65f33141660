#include "registry/policy/bppc.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "registry/shared/model/dtm.h"

namespace xds::policy {
namespace {

// 0 when `dtm` is absent or not a DTM. Fields by position: absl::ParseTime's %Y would
// swallow every digit of an unseparated DTM.
int64_t DtmMillis(const std::string& dtm) {
  const std::string norm = NormalizeDtm(dtm);  // 14 digits, each field in range, or ""
  if (norm.empty()) return 0;
  auto field = [&](size_t pos, size_t len) { return std::stoi(norm.substr(pos, len)); };
  absl::CivilSecond civil(field(0, 4), field(4, 2), field(6, 2), field(8, 2), field(10, 2), field(12, 2));
  return absl::ToUnixMillis(absl::FromCivil(civil, absl::UTCTimeZone()));
}

}  // namespace

bool IsConsentDocument(const DomainPolicy& domain, const DocumentEntry& entry) {
  return domain.bppc.enabled && entry.class_code().code() == domain.bppc.class_code.code &&
         entry.class_code().scheme() == domain.bppc.class_code.scheme;
}

absl::StatusOr<int64_t> ConsentEffectiveTime(const DocumentEntry& entry) {
  int64_t start = DtmMillis(entry.service_start_time());
  if (start == 0) start = DtmMillis(entry.creation_time());
  if (start == 0) return absl::InvalidArgumentError("consent document has neither serviceStartTime nor creationTime");
  return start;
}

absl::StatusOr<std::vector<ConsentRule>> RulesFromConsentDocument(const DomainPolicy& domain,
                                                                  const DocumentEntry& entry) {
  if (!IsConsentDocument(domain, entry)) {
    return absl::FailedPreconditionError("not a consent document of this affinity domain");
  }
  auto from = ConsentEffectiveTime(entry);
  if (!from.ok()) return from.status();
  int64_t to = 0;
  if (!entry.service_stop_time().empty()) {
    to = DtmMillis(entry.service_stop_time());
    if (to == 0) return absl::InvalidArgumentError("consent document's serviceStopTime is not a DTM");
    if (to <= *from) return absl::InvalidArgumentError("consent document's serviceStopTime is not after its start");
  }
  if (entry.event_codes().empty()) {
    return absl::InvalidArgumentError("consent document carries no policy OID in eventCodeList");
  }
  std::vector<ConsentRule> rules;
  for (const Code& event : entry.event_codes()) {
    auto it = domain.bppc.policies.find(event.code());
    if (it == domain.bppc.policies.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("consent document's eventCodeList carries policy ", event.code(), ", unknown to the domain"));
    }
    for (const RuleTemplate& t : it->second) {
      ConsentRule r;
      r.id = absl::StrCat("bppc:", entry.unique_id(), ":", rules.size());
      r.effect = t.effect;
      r.subject = t.subject;
      r.data_category = t.data_category;
      r.valid_from = *from;
      r.valid_to = to;
      r.source = RuleSource::kBppc;
      r.source_document = entry.unique_id();
      rules.push_back(std::move(r));
    }
  }
  return rules;
}

absl::StatusOr<bool> ApplyConsentDocument(const DomainPolicy& domain, const DocumentEntry& entry,
                                          PatientPolicy* patient) {
  if (entry.patient_id() != patient->patient_id) {
    return absl::InvalidArgumentError("consent document is about another patient");
  }
  auto rules = RulesFromConsentDocument(domain, entry);
  if (!rules.ok()) return rules.status();
  int64_t effective = rules->empty() ? *ConsentEffectiveTime(entry) : rules->front().valid_from;
  // Ties go to the later registration: the registry applies documents in registration order.
  if (!patient->bppc_document.empty() && effective < patient->bppc_effective) return false;
  auto& all = patient->rules;
  all.erase(std::remove_if(all.begin(), all.end(), [](const ConsentRule& r) { return r.source == RuleSource::kBppc; }),
            all.end());
  all.insert(all.end(), std::make_move_iterator(rules->begin()), std::make_move_iterator(rules->end()));
  patient->bppc_document = entry.unique_id();
  patient->bppc_effective = effective;
  return true;
}

}  // namespace xds::policy
