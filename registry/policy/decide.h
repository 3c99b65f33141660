// The one access decision of the registry: may this requester see this document of this
// patient, now? Deterministic and side-effect free, so the registry's query filter, ITI-43's
// remote decision and the tests all get the same answer. Evaluation order (README.md):
//   0. a PatientPolicy of another patient than the document's denies (caller error);
//   1. the submitting organisation always sees what it submitted itself;
//   2. an active exclusion of the requester's organisation or professional denies;
//   3. a restricted confidentiality code denies everyone but the submitting organisation;
//   4. a required treatment relationship that is not active denies;
//   5. consent rules: a valid deny beats a valid permit; opt-in needs a valid permit,
//      opt-out permits unless denied;
//   6. break-the-glass: an emergency purpose of use, where the domain allows it, turns a
//      deny of 4 or 5 (and of 2 or 3 only where the domain says so) into a flagged permit.
#ifndef XDS_REGISTRY_POLICY_DECIDE_H_
#define XDS_REGISTRY_POLICY_DECIDE_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "proto/xds_metadata.pb.h"
#include "registry/policy/policy.h"

namespace xds::policy {

// The step that settled a decision (for tests and the audit event's detail).
enum class Step {
  kWrongPatient,
  kOwnSubmission,
  kExclusion,
  kRestricted,
  kNoRelationship,
  kConsentDeny,
  kNoConsent,  // opt-in without a valid permit
  kConsent,    // a permit (opt-in) or the absence of a deny (opt-out)
  kBreakTheGlass,
};

struct Decision {
  bool permit = false;
  // Why, for the audit trail only: never shown to the requester (it names rules and
  // categories that would betray what exists).
  std::string reason;
  // True when permitted only because of the emergency purpose of use.
  bool break_the_glass = false;
  Step step = Step::kNoConsent;
};

Decision Decide(const DomainPolicy& domain, const PatientPolicy& patient, const Requester& requester,
                const DocumentFacts& document, absl::Time now);

// The data category of a document: the first matching row of the domain's table, else the
// default. What a store keeps in an indexed column at registration.
const std::string& DataCategoryOf(const DomainPolicy& domain, const DocumentFacts& document);
// True when one of the document's confidentiality codes is restricted by the domain.
bool IsRestricted(const DomainPolicy& domain, const DocumentFacts& document);
// The facts of a registered DocumentEntry (its submitting organisation is kept beside it).
DocumentFacts FactsOf(const DocumentEntry& entry, const std::string& submitting_organization_id);
// Changes exactly when DataCategoryOf or IsRestricted could answer differently for some
// document: a store that keeps both per entry reclassifies them when it changes.
std::string ClassificationFingerprint(const DomainPolicy& domain);

// What one requester may see of one patient, independent of any one document: the shape a
// store turns into a SQL filter
//   submitting_org = :own OR (NOT restricted AND data_category IN (:categories))
//   [OR restricted, when restricted_visible]
// so that LeafClass answers never read rows they would drop. Admits() agrees with Decide()
// for every document of the patient (tested).
struct Visibility {
  std::string own_organization;  // its own submissions: always visible
  // Visible data category -> true when visible only because of break-the-glass.
  std::map<std::string, bool> categories;
  // Restricted documents of other authors are visible (only ever by break-the-glass, and
  // only where the domain lets the emergency override restricted confidentiality).
  bool restricted_visible = false;
  bool wrong_patient = false;  // nothing at all is visible

  // The decision Decide() reaches for `document` (reason aside).
  bool Admits(const DomainPolicy& domain, const DocumentFacts& document, bool* break_the_glass) const;
  // The same for a document already classified (what a store keeps per entry).
  bool Admits(const std::string& submitting_organization_id, const std::string& data_category, bool restricted,
              bool* break_the_glass) const;
  // True when any document of another organisation needs the emergency (audit it as BTG).
  bool AnyBreakTheGlass() const;
};

// `patient_id` is the patient the query is about; a PatientPolicy of another patient yields
// a Visibility that admits nothing (not even own submissions), like Decide's step 0.
Visibility VisibleCategories(const DomainPolicy& domain, const PatientPolicy& patient, const Requester& requester,
                             const std::string& patient_id, absl::Time now);

}  // namespace xds::policy

#endif  // XDS_REGISTRY_POLICY_DECIDE_H_
