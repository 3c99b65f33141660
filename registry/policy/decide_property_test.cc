// Random domain policies x random patient policies x random requesters x random documents
// (seeded, reproducible): the invariants of README.md's evaluation order, each checked
// against an oracle written independently of decide.cc, and Decide == VisibleCategories.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "registry/policy/decide.h"
#include "registry/policy/policy_test_util.h"

namespace xds::policy {
namespace {

using namespace xds::policy::testing;  // NOLINT: test vocabulary

constexpr int kCasesPerSeed = 2000;

const std::vector<std::string> kOrgs = {"org-a", "org-b", "org-c", "org-d", "org-e", ""};
const std::vector<std::string> kOrgCategories = {"midwifery", "hospital", "youth-health", "gp", "other"};
const std::vector<std::string> kProfessionals = {"p1", "p2", "p3", ""};
const std::vector<std::string> kDataCategories = {"perinatal", "mental-health", "sensitive", "general"};
const std::vector<std::string> kPurposes = {"", "TREATMENT", "EMERGENCY", "BTG"};
const std::vector<CodedValue> kClassCodes = {Cv("C1"), Cv("C2"), Cv("C3")};
const std::vector<CodedValue> kTypeCodes = {Cv("T1"), Cv("T2")};
const std::vector<CodedValue> kConfCodes = {Cv("N"), Cv("R"), Cv("V"), Cv("X")};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  bool Coin(int percent = 50) { return Int(0, 99) < percent; }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int>(v.size()) - 1)];
  }
  // Bounds around now: open, past, now, future.
  int64_t Bound() {
    static const std::vector<int64_t> kBounds = {0, 0, kNowMs - 5 * kDayMs, kNowMs, kNowMs + 1, kNowMs + 5 * kDayMs};
    return Pick(kBounds);
  }

  DomainPolicy Domain() {
    DomainPolicy d;
    d.domain = "random";
    d.consent_model = Coin() ? ConsentModel::kOptIn : ConsentModel::kOptOut;
    for (const std::string& org : kOrgs) {
      if (!org.empty() && Coin(70)) d.organization_categories[org] = Pick(kOrgCategories);
    }
    d.default_organization_category = Coin(80) ? "other" : "gp";
    for (int i = Int(0, 4); i > 0; --i) {
      DataCategoryRule row;
      switch (Int(0, 2)) {
        case 0:
          row.attribute = CodeAttribute::kClassCode;
          row.value = Pick(kClassCodes);
          break;
        case 1:
          row.attribute = CodeAttribute::kTypeCode;
          row.value = Pick(kTypeCodes);
          break;
        default:
          row.attribute = CodeAttribute::kConfidentialityCode;
          row.value = Pick(kConfCodes);
      }
      row.category = Pick(kDataCategories);
      d.data_category_rules.push_back(row);
    }
    d.default_data_category = "general";
    d.treatment_relationship_required = Coin(30);
    if (Coin(70)) d.restricted_confidentiality_codes.insert(Cv("R"));
    if (Coin(20)) d.restricted_confidentiality_codes.insert(Cv("V"));
    d.break_the_glass.allowed = Coin(60);
    if (Coin(80)) d.break_the_glass.purposes_of_use.insert("EMERGENCY");
    if (Coin(50)) d.break_the_glass.purposes_of_use.insert("BTG");
    d.break_the_glass.overrides_exclusions = Coin(25);
    d.break_the_glass.overrides_restricted = Coin(25);
    return d;
  }

  Subject AnyKindSubject(bool with_wildcards) {
    switch (Int(with_wildcards ? 0 : 2, 3)) {
      case 0:
        return AnySubject();
      case 1:
        return CategorySubject(Pick(kOrgCategories));
      case 2:
        return OrgSubject(Coin(90) ? NonEmpty(kOrgs) : "org-nobody");
      default:
        return ProfessionalSubject(NonEmpty(kProfessionals));
    }
  }

  PatientPolicy Patient() {
    PatientPolicy p = testing::Patient();
    for (int i = Int(0, 5); i > 0; --i) {
      ConsentRule r = Rule(absl::StrCat("r", i), Coin(60) ? Effect::kPermit : Effect::kDeny, AnyKindSubject(true),
                           Coin(40) ? std::string(kAny) : (Coin(90) ? Pick(kDataCategories) : "unknown-category"),
                           Bound(), Bound());
      p.rules.push_back(r);
    }
    for (int i = Int(0, 3); i > 0; --i) p.relationships.push_back({AnyKindSubject(false), Bound(), Bound()});
    for (int i = Int(0, 2) - 1; i > 0; --i) p.exclusions.push_back({AnyKindSubject(false), Bound(), Bound()});
    return p;
  }

  Requester Asker() { return Requester{Pick(kOrgs), Pick(kProfessionals), Pick(kPurposes)}; }

  DocumentFacts Document() {
    DocumentFacts f;
    f.patient_id = kPatient;
    f.class_code = Pick(kClassCodes);
    f.type_code = Pick(kTypeCodes);
    for (int i = Int(0, 2); i > 0; --i) f.confidentiality_codes.push_back(Pick(kConfCodes));
    f.submitting_organization_id = Pick(kOrgs);
    return f;
  }

 private:
  const std::string& NonEmpty(const std::vector<std::string>& v) {
    for (;;) {
      const std::string& s = Pick(v);
      if (!s.empty()) return s;
    }
  }
  std::mt19937 rng_;
};

// --- The oracle: each fact computed here, not by decide.cc. ---

bool Emergency(const DomainPolicy& d, const Requester& r) {
  return d.break_the_glass.allowed && d.break_the_glass.purposes_of_use.count(r.purpose_of_use) > 0;
}

bool Names(const Subject& s, const Requester& r) {
  return (s.kind == Subject::Kind::kOrganization && !r.organization_id.empty() && s.id == r.organization_id) ||
         (s.kind == Subject::Kind::kProfessional && !r.professional_id.empty() && s.id == r.professional_id);
}

bool Active(int64_t from, int64_t to) { return (from == 0 || from <= kNowMs) && (to == 0 || kNowMs < to); }

bool Own(const Requester& r, const DocumentFacts& f) {
  return !r.organization_id.empty() && r.organization_id == f.submitting_organization_id;
}

bool Excluded(const PatientPolicy& p, const Requester& r) {
  for (const Exclusion& e : p.exclusions) {
    if (Names(e.subject, r) && Active(e.valid_from, e.valid_to)) return true;
  }
  return false;
}

bool Restricted(const DomainPolicy& d, const DocumentFacts& f) {
  for (const CodedValue& c : f.confidentiality_codes) {
    if (d.restricted_confidentiality_codes.count(c)) return true;
  }
  return false;
}

bool HasRelationship(const PatientPolicy& p, const Requester& r) {
  for (const TreatmentRelationship& t : p.relationships) {
    if (Names(t.subject, r) && Active(t.start, t.end)) return true;
  }
  return false;
}

bool ValidDenyApplies(const DomainPolicy& d, const PatientPolicy& p, const Requester& r, const std::string& category) {
  std::string org_category = d.default_organization_category;
  auto it = d.organization_categories.find(r.organization_id);
  if (it != d.organization_categories.end()) org_category = it->second;
  for (const ConsentRule& rule : p.rules) {
    if (rule.effect != Effect::kDeny || !Active(rule.valid_from, rule.valid_to)) continue;
    if (rule.data_category != kAny && rule.data_category != category) continue;
    bool subject = rule.subject.kind == Subject::Kind::kAny ||
                   (rule.subject.kind == Subject::Kind::kCategory && rule.subject.id == org_category) ||
                   Names(rule.subject, r);
    if (subject) return true;
  }
  return false;
}

void CheckCase(const DomainPolicy& domain, const PatientPolicy& patient, const Requester& r, const DocumentFacts& f) {
  const Decision d = Decide(domain, patient, r, f, Now());
  const bool own = Own(r, f);
  const bool emergency = Emergency(domain, r);
  EXPECT_FALSE(d.reason.empty());

  // The submitting organisation always sees its own, never by break-the-glass.
  if (own) {
    EXPECT_TRUE(d.permit);
    EXPECT_FALSE(d.break_the_glass);
    return;
  }
  // Never against an active exclusion, unless the domain lets an emergency override it.
  if (Excluded(patient, r) && d.permit) {
    EXPECT_TRUE(emergency && domain.break_the_glass.overrides_exclusions);
    EXPECT_TRUE(d.break_the_glass);
  }
  // Never a restricted document to a non-author, same proviso.
  if (Restricted(domain, f) && d.permit) {
    EXPECT_TRUE(emergency && domain.break_the_glass.overrides_restricted);
    EXPECT_TRUE(d.break_the_glass);
  }
  if (!emergency) {
    EXPECT_FALSE(d.break_the_glass);
    // Opt-in with no rules denies everyone else.
    if (domain.consent_model == ConsentModel::kOptIn && patient.rules.empty()) {
      EXPECT_FALSE(d.permit);
    }
    if (domain.treatment_relationship_required && !HasRelationship(patient, r)) {
      EXPECT_FALSE(d.permit);
    }
    if (ValidDenyApplies(domain, patient, r, DataCategoryOf(domain, f))) {
      EXPECT_FALSE(d.permit);
    }
  }
  // Break-the-glass flagged iff the permit needed the emergency.
  Requester calm = r;
  calm.purpose_of_use = "TREATMENT";
  const Decision without = Decide(domain, patient, calm, f, Now());
  if (d.permit) {
    EXPECT_EQ(d.break_the_glass, !without.permit);
  }
  if (without.permit) {
    EXPECT_TRUE(d.permit) << "an emergency never hides what is visible anyway";
  }
  // Opt-out with nothing said and nothing required: visible.
  if (domain.consent_model == ConsentModel::kOptOut && patient.rules.empty() && patient.exclusions.empty() &&
      !domain.treatment_relationship_required && !Restricted(domain, f)) {
    EXPECT_TRUE(d.permit);
  }
}

class DecidePropertyTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(DecidePropertyTest, InvariantsHold) {
  Gen g(GetParam());
  std::map<Step, int> seen;
  for (int i = 0; i < kCasesPerSeed; ++i) {
    DomainPolicy domain = g.Domain();
    PatientPolicy patient = g.Patient();
    Requester r = g.Asker();
    DocumentFacts f = g.Document();
    SCOPED_TRACE(absl::StrCat("seed ", GetParam(), " case ", i));
    CheckCase(domain, patient, r, f);
    if (HasFailure()) return;  // one reproducible case is enough to debug
    ++seen[Decide(domain, patient, r, f, Now()).step];
  }
  // The generator reaches every step, or the invariants above prove little.
  for (Step s : {Step::kOwnSubmission, Step::kExclusion, Step::kRestricted, Step::kNoRelationship, Step::kConsentDeny,
                 Step::kNoConsent, Step::kConsent, Step::kBreakTheGlass}) {
    EXPECT_GE(seen[s], 10) << "step " << static_cast<int>(s) << " barely reached";
  }
}

TEST_P(DecidePropertyTest, DecideAgreesWithVisibleCategories) {
  Gen g(GetParam() + 1000);
  for (int i = 0; i < kCasesPerSeed; ++i) {
    DomainPolicy domain = g.Domain();
    PatientPolicy patient = g.Patient();
    Requester r = g.Asker();
    Visibility v = VisibleCategories(domain, patient, r, kPatient, Now());
    // Several documents per visibility, as a store filter would see them.
    for (int k = 0; k < 8; ++k) {
      DocumentFacts f = g.Document();
      SCOPED_TRACE(absl::StrCat("seed ", GetParam(), " case ", i, " doc ", k));
      Decision d = Decide(domain, patient, r, f, Now());
      bool btg = false;
      ASSERT_EQ(v.Admits(domain, f, &btg), d.permit) << d.reason;
      ASSERT_EQ(btg, d.break_the_glass) << d.reason;
    }
  }
}

// A deny rule added to any policy never turns a deny into a permit.
TEST_P(DecidePropertyTest, AddingADenyNeverWidens) {
  Gen g(GetParam() + 2000);
  for (int i = 0; i < kCasesPerSeed; ++i) {
    DomainPolicy domain = g.Domain();
    PatientPolicy patient = g.Patient();
    Requester r = g.Asker();
    DocumentFacts f = g.Document();
    bool before = Decide(domain, patient, r, f, Now()).permit;
    patient.rules.push_back(Rule("extra-deny", Effect::kDeny, g.AnyKindSubject(true),
                                 g.Coin() ? std::string(kAny) : g.Pick(kDataCategories)));
    bool after = Decide(domain, patient, r, f, Now()).permit;
    SCOPED_TRACE(absl::StrCat("seed ", GetParam(), " case ", i));
    ASSERT_TRUE(before || !after);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DecidePropertyTest, ::testing::Values(1u, 16u, 20261101u));

}  // namespace
}  // namespace xds::policy
