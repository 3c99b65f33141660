#include "registry/policy/decide.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace xds::policy {
namespace {

bool Emergency(const DomainPolicy& domain, const Requester& requester) {
  const BreakTheGlass& btg = domain.break_the_glass;
  return btg.allowed && !requester.purpose_of_use.empty() && btg.purposes_of_use.count(requester.purpose_of_use) > 0;
}

// Organisation and professional subjects only; an empty requester id never matches, so a
// request without an XUA assertion is not mistaken for an excluded professional's.
bool NamesRequester(const Subject& s, const Requester& r) {
  switch (s.kind) {
    case Subject::Kind::kOrganization:
      return !r.organization_id.empty() && s.id == r.organization_id;
    case Subject::Kind::kProfessional:
      return !r.professional_id.empty() && s.id == r.professional_id;
    default:
      return false;
  }
}

bool RuleApplies(const DomainPolicy& domain, const ConsentRule& rule, const Requester& r, const std::string& category,
                 int64_t now_ms) {
  if (!InWindow(rule.valid_from, rule.valid_to, now_ms)) return false;
  if (rule.data_category != kAny && rule.data_category != category) return false;
  switch (rule.subject.kind) {
    case Subject::Kind::kAny:
      return true;
    case Subject::Kind::kCategory:
      return rule.subject.id == domain.OrganizationCategory(r.organization_id);
    default:
      return NamesRequester(rule.subject, r);
  }
}

std::string Describe(const ConsentRule& rule) {
  return absl::StrCat("rule ", rule.id, " (", rule.effect == Effect::kPermit ? "permit " : "deny ",
                      ToString(rule.subject), ", data ", rule.data_category,
                      rule.source == RuleSource::kBppc ? ", from BPPC " + rule.source_document : "", ")");
}

// Steps 2-6 for a document the requester did not submit itself. Decide and
// VisibleCategories both come here, which is what keeps them in agreement.
Decision DecideForOthers(const DomainPolicy& domain, const PatientPolicy& patient, const Requester& requester,
                         const std::string& category, bool restricted, int64_t now_ms) {
  const bool emergency = Emergency(domain, requester);
  const BreakTheGlass& btg = domain.break_the_glass;
  // Denies the emergency overrides; the permit at the end is flagged when there are any.
  std::vector<std::string> overridden;
  auto deny = [](Step step, std::string reason) { return Decision{false, std::move(reason), false, step}; };

  // 2. Exclusions.
  for (const Exclusion& e : patient.exclusions) {
    if (!NamesRequester(e.subject, requester) || !InWindow(e.valid_from, e.valid_to, now_ms)) continue;
    std::string why = absl::StrCat("excluded by the patient: ", ToString(e.subject));
    if (!(emergency && btg.overrides_exclusions)) return deny(Step::kExclusion, why);
    overridden.push_back(std::move(why));
    break;
  }

  // 3. Restricted confidentiality: the submitting organisation only (step 1 let it through).
  if (restricted) {
    std::string why = "restricted confidentiality: submitting organisation only";
    if (!(emergency && btg.overrides_restricted)) return deny(Step::kRestricted, why);
    overridden.push_back(std::move(why));
  }

  // 4. Treatment relationship.
  if (domain.treatment_relationship_required) {
    bool active =
        std::any_of(patient.relationships.begin(), patient.relationships.end(), [&](const TreatmentRelationship& t) {
          return NamesRequester(t.subject, requester) && InWindow(t.start, t.end, now_ms);
        });
    if (!active) {
      std::string why = "no active treatment relationship";
      if (!emergency) return deny(Step::kNoRelationship, why);
      overridden.push_back(std::move(why));
    }
  }

  // 5. Consent rules: deny beats permit.
  const ConsentRule* permit = nullptr;
  const ConsentRule* denied = nullptr;
  for (const ConsentRule& rule : patient.rules) {
    if (!RuleApplies(domain, rule, requester, category, now_ms)) continue;
    if (rule.effect == Effect::kDeny) {
      denied = &rule;
      break;
    }
    if (permit == nullptr) permit = &rule;
  }
  std::string consent_why;
  if (denied != nullptr) {
    std::string why = absl::StrCat("denied by ", Describe(*denied));
    if (!emergency) return deny(Step::kConsentDeny, why);
    overridden.push_back(std::move(why));
  } else if (permit != nullptr) {
    consent_why = absl::StrCat("permitted by ", Describe(*permit));
  } else if (domain.consent_model == ConsentModel::kOptOut) {
    consent_why = "opt-out: no deny applies";
  } else {
    std::string why = absl::StrCat("opt-in: no valid permit for data category ", category);
    if (!emergency) return deny(Step::kNoConsent, why);
    overridden.push_back(std::move(why));
  }

  // 6. Break-the-glass: only reached with overridden denies when the emergency applies.
  if (!overridden.empty()) {
    return Decision{
        true,
        absl::StrCat("break-the-glass (", requester.purpose_of_use, ") overrides: ", absl::StrJoin(overridden, "; ")),
        true, Step::kBreakTheGlass};
  }
  return Decision{true, consent_why, false, Step::kConsent};
}

}  // namespace

const std::string& DataCategoryOf(const DomainPolicy& domain, const DocumentFacts& d) {
  for (const DataCategoryRule& row : domain.data_category_rules) {
    switch (row.attribute) {
      case CodeAttribute::kClassCode:
        if (d.class_code == row.value) return row.category;
        break;
      case CodeAttribute::kTypeCode:
        if (d.type_code == row.value) return row.category;
        break;
      case CodeAttribute::kConfidentialityCode:
        if (std::find(d.confidentiality_codes.begin(), d.confidentiality_codes.end(), row.value) !=
            d.confidentiality_codes.end())
          return row.category;
        break;
    }
  }
  return domain.default_data_category;
}

bool IsRestricted(const DomainPolicy& domain, const DocumentFacts& d) {
  return std::any_of(d.confidentiality_codes.begin(), d.confidentiality_codes.end(),
                     [&](const CodedValue& c) { return domain.restricted_confidentiality_codes.count(c) > 0; });
}

DocumentFacts FactsOf(const DocumentEntry& entry, const std::string& submitting_organization_id) {
  DocumentFacts facts;
  facts.patient_id = entry.patient_id();
  facts.class_code = {entry.class_code().code(), entry.class_code().scheme()};
  facts.type_code = {entry.type_code().code(), entry.type_code().scheme()};
  for (const Code& c : entry.confidentiality_codes()) facts.confidentiality_codes.push_back({c.code(), c.scheme()});
  facts.submitting_organization_id = submitting_organization_id;
  return facts;
}

std::string ClassificationFingerprint(const DomainPolicy& domain) {
  static constexpr const char* kAttribute[] = {"classCode", "typeCode", "confidentialityCode"};
  std::string text = absl::StrCat("default=", domain.default_data_category);
  for (const DataCategoryRule& row : domain.data_category_rules) {
    absl::StrAppend(&text, "|", kAttribute[static_cast<int>(row.attribute)], "=", ToString(row.value), ">",
                    row.category);
  }
  for (const CodedValue& c : domain.restricted_confidentiality_codes)
    absl::StrAppend(&text, "|restricted=", ToString(c));
  return text;
}

Decision Decide(const DomainPolicy& domain, const PatientPolicy& patient, const Requester& requester,
                const DocumentFacts& document, absl::Time now) {
  // 0. Fail closed when handed another patient's policy.
  if (patient.patient_id != document.patient_id) {
    return Decision{false, "policy of another patient", false, Step::kWrongPatient};
  }
  // 1. The submitting organisation holds the document in its own system anyway.
  if (!requester.organization_id.empty() && requester.organization_id == document.submitting_organization_id) {
    return Decision{true, "own submission", false, Step::kOwnSubmission};
  }
  return DecideForOthers(domain, patient, requester, DataCategoryOf(domain, document), IsRestricted(domain, document),
                         absl::ToUnixMillis(now));
}

Visibility VisibleCategories(const DomainPolicy& domain, const PatientPolicy& patient, const Requester& requester,
                             const std::string& patient_id, absl::Time now) {
  Visibility v;
  if (patient.patient_id != patient_id) {
    v.wrong_patient = true;
    return v;
  }
  v.own_organization = requester.organization_id;
  const int64_t now_ms = absl::ToUnixMillis(now);
  for (const std::string& category : domain.DataCategories()) {
    Decision d = DecideForOthers(domain, patient, requester, category, /*restricted=*/false, now_ms);
    if (d.permit) v.categories[category] = d.break_the_glass;
  }
  // A restricted document's category does not matter: only exclusions and the emergency
  // override decide it (steps 4 and 5 always yield to an emergency).
  v.restricted_visible =
      DecideForOthers(domain, patient, requester, domain.default_data_category, /*restricted=*/true, now_ms).permit;
  return v;
}

bool Visibility::Admits(const DomainPolicy& domain, const DocumentFacts& document, bool* break_the_glass) const {
  return Admits(document.submitting_organization_id, DataCategoryOf(domain, document), IsRestricted(domain, document),
                break_the_glass);
}

bool Visibility::Admits(const std::string& submitting_organization_id, const std::string& data_category,
                        bool restricted, bool* break_the_glass) const {
  *break_the_glass = false;
  if (wrong_patient) return false;
  if (!own_organization.empty() && own_organization == submitting_organization_id) return true;
  if (restricted) {
    *break_the_glass = restricted_visible;
    return restricted_visible;
  }
  auto it = categories.find(data_category);
  if (it == categories.end()) return false;
  *break_the_glass = it->second;
  return true;
}

bool Visibility::AnyBreakTheGlass() const {
  return restricted_visible ||
         std::any_of(categories.begin(), categories.end(), [](const auto& c) { return c.second; });
}

}  // namespace xds::policy
