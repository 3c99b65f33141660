// One test per rule of the evaluation order, each with its passing twin.
#include "registry/policy/decide.h"

#include <gtest/gtest.h>

#include "registry/policy/policy_test_util.h"

namespace xds::policy {
namespace {

using namespace xds::policy::testing;  // NOLINT: test vocabulary

class DecideTest : public ::testing::Test {
 protected:
  Decision D(const Requester& r, const DocumentFacts& f) { return Decide(domain_, patient_, r, f, Now()); }
  bool Sees(const Requester& r, const DocumentFacts& f) { return D(r, f).permit; }

  DomainPolicy domain_ = PerinatalDomain();
  PatientPolicy patient_ = Patient();
};

TEST_F(DecideTest, OptInWithoutConsentNothingVisible) {
  Decision d = D(Org(kHospital), Doc(kMidwife));
  EXPECT_FALSE(d.permit);
  EXPECT_EQ(d.step, Step::kNoConsent);
  EXPECT_FALSE(d.reason.empty());
  EXPECT_FALSE(Sees(Org(kYouthHealth), Doc(kMidwife)));
  EXPECT_FALSE(Sees(Org(kUnlisted), Doc(kMidwife)));
}

TEST_F(DecideTest, OptInWithConsentForAllVisible) {
  patient_.rules.push_back(Rule("r1", Effect::kPermit, AnySubject()));
  Decision d = D(Org(kHospital), Doc(kMidwife));
  EXPECT_TRUE(d.permit);
  EXPECT_EQ(d.step, Step::kConsent);
  EXPECT_FALSE(d.break_the_glass);
  EXPECT_TRUE(Sees(Org(kUnlisted), Doc(kMidwife)));
}

TEST_F(DecideTest, ConsentForHospitalsHospitalSeesYouthHealthDoesNot) {
  patient_.rules.push_back(Rule("hosp", Effect::kPermit, CategorySubject("hospital")));
  EXPECT_TRUE(Sees(Org(kHospital), Doc(kMidwife)));
  EXPECT_TRUE(Sees(Org(kHospital2), Doc(kMidwife)));
  EXPECT_FALSE(Sees(Org(kYouthHealth), Doc(kMidwife)));
  EXPECT_FALSE(Sees(Org(kUnlisted), Doc(kMidwife)));  // category "other"
}

TEST_F(DecideTest, ConsentForOneOrganisationOrProfessional) {
  patient_.rules.push_back(Rule("o", Effect::kPermit, OrgSubject(kHospital)));
  patient_.rules.push_back(Rule("p", Effect::kPermit, ProfessionalSubject("dr-jansen")));
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
  EXPECT_FALSE(Sees(Org(kHospital2), Doc()));
  EXPECT_TRUE(Sees(Org(kHospital2, "dr-jansen"), Doc()));
  // No assertion (empty professional) never matches a professional rule.
  EXPECT_FALSE(Sees(Org(kYouthHealth, ""), Doc()));
}

TEST_F(DecideTest, DataCategoryExcludedHiddenOthersShown) {
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  patient_.rules.push_back(Rule("no-psy", Effect::kDeny, AnySubject(), "mental-health"));
  DocumentFacts psy = Doc(kMidwife, Cv("NOTE"), Cv("PSY"));
  Decision d = D(Org(kHospital), psy);
  EXPECT_FALSE(d.permit);
  EXPECT_EQ(d.step, Step::kConsentDeny);
  EXPECT_TRUE(Sees(Org(kHospital), Doc(kMidwife)));
  EXPECT_TRUE(Sees(Org(kHospital), Doc(kMidwife, Cv("PREG"))));
}

TEST_F(DecideTest, PermitForOneDataCategoryOnly) {
  patient_.rules.push_back(Rule("peri", Effect::kPermit, CategorySubject("youth-health"), "perinatal"));
  EXPECT_TRUE(Sees(Org(kYouthHealth), Doc(kMidwife, Cv("PREG"))));
  EXPECT_FALSE(Sees(Org(kYouthHealth), Doc(kMidwife, Cv("NOTE"))));
}

TEST_F(DecideTest, DataCategoryFirstMatchWins) {
  // confidentialityCode V comes first in the table: a PREG document marked V is "sensitive".
  DocumentFacts f = Doc(kMidwife, Cv("PREG"));
  f.confidentiality_codes.push_back(Cv("V"));
  EXPECT_EQ(DataCategoryOf(domain_, f), "sensitive");
  EXPECT_EQ(DataCategoryOf(domain_, Doc(kMidwife, Cv("PREG"), Cv("PSY"))), "perinatal");
  EXPECT_EQ(DataCategoryOf(domain_, Doc(kMidwife, Cv("PREG", "other-scheme"))), "general");
}

TEST_F(DecideTest, DenyBeatsPermitWhateverTheOrder) {
  patient_.rules.push_back(Rule("deny-hosp", Effect::kDeny, OrgSubject(kHospital)));
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  EXPECT_FALSE(Sees(Org(kHospital), Doc()));
  EXPECT_TRUE(Sees(Org(kHospital2), Doc()));
}

TEST_F(DecideTest, RelationshipRequiredActiveVisibleEndedHidden) {
  domain_.treatment_relationship_required = true;
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  Decision none = D(Org(kHospital), Doc());
  EXPECT_FALSE(none.permit);
  EXPECT_EQ(none.step, Step::kNoRelationship);

  patient_.relationships.push_back({OrgSubject(kHospital), kNowMs - 10 * kDayMs, 0});
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));

  patient_.relationships.back().end = kNowMs - kDayMs;  // ended yesterday
  EXPECT_FALSE(Sees(Org(kHospital), Doc()));
  patient_.relationships.back().end = kNowMs;  // end is exclusive
  EXPECT_FALSE(Sees(Org(kHospital), Doc()));
  patient_.relationships.back().end = kNowMs + 1;
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
}

TEST_F(DecideTest, RelationshipWithProfessionalCountsAtAnyOrganisation) {
  domain_.treatment_relationship_required = true;
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  patient_.relationships.push_back({ProfessionalSubject("vk-de-vries"), 0, 0});
  EXPECT_TRUE(Sees(Org(kHospital, "vk-de-vries"), Doc()));
  EXPECT_FALSE(Sees(Org(kHospital, "someone-else"), Doc()));
}

TEST_F(DecideTest, RelationshipNotRequiredNotChecked) {
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
}

TEST_F(DecideTest, ExclusionBeatsEveryPermit) {
  domain_.treatment_relationship_required = true;
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  patient_.rules.push_back(Rule("org", Effect::kPermit, OrgSubject(kHospital)));
  patient_.rules.push_back(Rule("prof", Effect::kPermit, ProfessionalSubject("dr-excluded")));
  patient_.relationships.push_back({ProfessionalSubject("dr-excluded"), 0, 0});
  patient_.relationships.push_back({OrgSubject(kHospital), 0, 0});
  patient_.exclusions.push_back({ProfessionalSubject("dr-excluded"), 0, 0});

  Decision d = D(Org(kHospital, "dr-excluded"), Doc());
  EXPECT_FALSE(d.permit);
  EXPECT_EQ(d.step, Step::kExclusion);
  // Her colleague at the same hospital still sees it.
  EXPECT_TRUE(Sees(Org(kHospital, "dr-colleague"), Doc()));
  // Even in an emergency: the domain does not let break-the-glass override an exclusion.
  EXPECT_FALSE(Sees(Org(kHospital, "dr-excluded", "EMERGENCY"), Doc()));
}

TEST_F(DecideTest, ExcludedOrganisationAndExpiredExclusion) {
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  patient_.exclusions.push_back({OrgSubject(kHospital), 0, 0});
  EXPECT_FALSE(Sees(Org(kHospital, "anyone"), Doc()));
  patient_.exclusions.back().valid_to = kNowMs - 1;
  EXPECT_TRUE(Sees(Org(kHospital, "anyone"), Doc()));
}

TEST_F(DecideTest, ExclusionOverriddenOnlyWhereTheDomainSaysSo) {
  domain_.break_the_glass.overrides_exclusions = true;
  patient_.exclusions.push_back({ProfessionalSubject("dr-excluded"), 0, 0});
  Decision d = D(Org(kHospital, "dr-excluded", "EMERGENCY"), Doc());
  EXPECT_TRUE(d.permit);
  EXPECT_TRUE(d.break_the_glass);
  EXPECT_FALSE(Sees(Org(kHospital, "dr-excluded", "TREATMENT"), Doc()));
}

TEST_F(DecideTest, RestrictedConfidentialityAuthorOrganisationOnly) {
  patient_.rules.push_back(Rule("all", Effect::kPermit, AnySubject()));
  DocumentFacts r = Doc(kMidwife);
  r.confidentiality_codes = {kRestrictedCode};
  EXPECT_TRUE(Sees(Org(kMidwife), r));
  Decision d = D(Org(kHospital), r);
  EXPECT_FALSE(d.permit);
  EXPECT_EQ(d.step, Step::kRestricted);
  EXPECT_FALSE(Sees(Org(kHospital, "", "EMERGENCY"), r));
  // The normal twin is visible to the hospital.
  EXPECT_TRUE(Sees(Org(kHospital), Doc(kMidwife)));
}

TEST_F(DecideTest, RestrictedOverriddenOnlyWhereTheDomainSaysSo) {
  domain_.break_the_glass.overrides_restricted = true;
  DocumentFacts r = Doc(kMidwife);
  r.confidentiality_codes = {kRestrictedCode};
  Decision d = D(Org(kHospital, "", "EMERGENCY"), r);
  EXPECT_TRUE(d.permit);
  EXPECT_TRUE(d.break_the_glass);
  EXPECT_FALSE(Sees(Org(kHospital), r));
}

TEST_F(DecideTest, SubmittingOrganisationAlwaysSeesItsOwn) {
  domain_.treatment_relationship_required = true;
  patient_.rules.push_back(Rule("deny-all", Effect::kDeny, AnySubject()));
  patient_.exclusions.push_back({OrgSubject(kMidwife), 0, 0});
  DocumentFacts r = Doc(kMidwife);
  r.confidentiality_codes = {kRestrictedCode};
  Decision d = D(Org(kMidwife), r);
  EXPECT_TRUE(d.permit);
  EXPECT_EQ(d.step, Step::kOwnSubmission);
  EXPECT_FALSE(d.break_the_glass);
  // The twin: another organisation's document under the same policy is hidden from it.
  EXPECT_FALSE(Sees(Org(kMidwife), Doc(kHospital)));
}

TEST_F(DecideTest, EmptyOrganisationIsNobodysOwn) {
  DocumentFacts f = Doc("");
  EXPECT_FALSE(Sees(Org(""), f));
}

TEST_F(DecideTest, BreakTheGlassVisibleAndFlagged) {
  Decision d = D(Org(kHospital, "dr-er", "EMERGENCY"), Doc());
  EXPECT_TRUE(d.permit);
  EXPECT_TRUE(d.break_the_glass);
  EXPECT_EQ(d.step, Step::kBreakTheGlass);
  EXPECT_NE(d.reason.find("opt-in"), std::string::npos);  // says what it overrode
  EXPECT_TRUE(D(Org(kHospital, "dr-er", "BTG"), Doc()).break_the_glass);
  // Twin: same requester without the emergency purpose.
  EXPECT_FALSE(Sees(Org(kHospital, "dr-er", "TREATMENT"), Doc()));
  EXPECT_FALSE(Sees(Org(kHospital, "dr-er", ""), Doc()));
}

TEST_F(DecideTest, BreakTheGlassOverridesDenyAndMissingRelationship) {
  domain_.treatment_relationship_required = true;
  patient_.rules.push_back(Rule("deny", Effect::kDeny, CategorySubject("hospital")));
  Decision d = D(Org(kHospital, "dr-er", "ETREAT"), Doc());
  EXPECT_TRUE(d.permit);
  EXPECT_TRUE(d.break_the_glass);
}

TEST_F(DecideTest, BreakTheGlassNotWhereTheDomainDisallowsIt) {
  domain_.break_the_glass.allowed = false;
  EXPECT_FALSE(Sees(Org(kHospital, "dr-er", "EMERGENCY"), Doc()));
  domain_.break_the_glass.allowed = true;
  EXPECT_FALSE(Sees(Org(kHospital, "dr-er", "EMERG"), Doc()));  // not one of its codes
}

TEST_F(DecideTest, BreakTheGlassNotFlaggedWhenConsentAlreadyPermits) {
  patient_.rules.push_back(Rule("hosp", Effect::kPermit, CategorySubject("hospital")));
  Decision d = D(Org(kHospital, "dr-er", "EMERGENCY"), Doc());
  EXPECT_TRUE(d.permit);
  EXPECT_FALSE(d.break_the_glass);
}

TEST_F(DecideTest, ValidityWindows) {
  patient_.rules.push_back(Rule("later", Effect::kPermit, AnySubject(), kAny, kNowMs + kDayMs, 0));
  EXPECT_FALSE(Sees(Org(kHospital), Doc()));
  patient_.rules.back().valid_from = kNowMs;  // from is inclusive
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
  patient_.rules.back().valid_to = kNowMs;  // to is exclusive: expired
  EXPECT_FALSE(Sees(Org(kHospital), Doc()));
  patient_.rules.back().valid_to = kNowMs + 1;
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
  // An expired deny no longer beats the permit.
  patient_.rules.push_back(Rule("old-deny", Effect::kDeny, AnySubject(), kAny, 0, kNowMs - kDayMs));
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
  patient_.rules.back().valid_to = 0;
  EXPECT_FALSE(Sees(Org(kHospital), Doc()));
}

TEST_F(DecideTest, OptOutVisibleUnlessDenied) {
  domain_.consent_model = ConsentModel::kOptOut;
  EXPECT_TRUE(Sees(Org(kYouthHealth), Doc()));
  EXPECT_TRUE(Sees(Org(kUnlisted), Doc()));
  patient_.rules.push_back(Rule("no-jgz", Effect::kDeny, CategorySubject("youth-health")));
  Decision d = D(Org(kYouthHealth), Doc());
  EXPECT_FALSE(d.permit);
  EXPECT_EQ(d.step, Step::kConsentDeny);
  EXPECT_TRUE(Sees(Org(kHospital), Doc()));
}

TEST_F(DecideTest, PolicyOfAnotherPatientDeniesEvenOwn) {
  DocumentFacts f = Doc(kMidwife);
  f.patient_id = "other^^^&1.2&ISO";
  Decision d = D(Org(kMidwife), f);
  EXPECT_FALSE(d.permit);
  EXPECT_EQ(d.step, Step::kWrongPatient);
}

TEST_F(DecideTest, VisibleCategoriesForHospitalOnlyConsent) {
  patient_.rules.push_back(Rule("hosp", Effect::kPermit, CategorySubject("hospital")));
  patient_.rules.push_back(Rule("no-psy", Effect::kDeny, AnySubject(), "mental-health"));
  Visibility v = VisibleCategories(domain_, patient_, Org(kHospital), kPatient, Now());
  EXPECT_EQ(v.own_organization, kHospital);
  std::map<std::string, bool> want = {{"general", false}, {"perinatal", false}, {"sensitive", false}};
  EXPECT_EQ(v.categories, want);
  EXPECT_FALSE(v.restricted_visible);
  EXPECT_FALSE(v.AnyBreakTheGlass());

  Visibility jgz = VisibleCategories(domain_, patient_, Org(kYouthHealth), kPatient, Now());
  EXPECT_TRUE(jgz.categories.empty());

  Visibility er = VisibleCategories(domain_, patient_, Org(kYouthHealth, "", "EMERGENCY"), kPatient, Now());
  EXPECT_EQ(er.categories.size(), 4u);
  EXPECT_TRUE(er.AnyBreakTheGlass());

  Visibility wrong = VisibleCategories(domain_, patient_, Org(kHospital), "someone-else", Now());
  EXPECT_TRUE(wrong.wrong_patient);
  bool btg = true;
  EXPECT_FALSE(wrong.Admits(domain_, Doc(kHospital), &btg));
}

}  // namespace
}  // namespace xds::policy
