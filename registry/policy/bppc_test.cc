#include "registry/policy/bppc.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "registry/policy/decide.h"
#include "registry/policy/policy_test_util.h"

namespace xds::policy {
namespace {

using namespace xds::policy::testing;  // NOLINT: test vocabulary

// 2023-11-14T22:13:20Z is kNowMs; these DTMs sit around it.
constexpr char kLastWeek[] = "20231107120000";
constexpr char kYesterday[] = "20231113120000";
constexpr char kNextYear[] = "20241114";

DocumentEntry Consent(const std::string& unique_id, std::initializer_list<const char*> policies,
                      const std::string& start = kYesterday) {
  DocumentEntry e;
  e.set_unique_id(unique_id);
  e.set_patient_id(kPatient);
  e.mutable_class_code()->set_code("57016-8");
  e.mutable_class_code()->set_scheme("2.16.840.1.113883.6.1");
  e.set_creation_time(start);
  e.set_service_start_time(start);
  for (const char* oid : policies) {
    Code* c = e.add_event_codes();
    c->set_code(oid);
    c->set_scheme("1.2.3.policies");
  }
  return e;
}

class BppcTest : public ::testing::Test {
 protected:
  bool Sees(const Requester& r, const DocumentFacts& f = Doc(kMidwife)) {
    return Decide(domain_, patient_, r, f, Now()).permit;
  }
  DomainPolicy domain_ = PerinatalDomain();
  PatientPolicy patient_ = Patient();
};

TEST_F(BppcTest, ConsentDocumentChangesTheDecision) {
  EXPECT_FALSE(Sees(Org(kHospital)));
  auto applied = ApplyConsentDocument(domain_, Consent("1.1", {"1.2.3.hospital-only"}), &patient_);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(*applied);
  EXPECT_TRUE(Sees(Org(kHospital)));
  EXPECT_FALSE(Sees(Org(kYouthHealth)));
  ASSERT_EQ(patient_.rules.size(), 1u);
  EXPECT_EQ(patient_.rules[0].source, RuleSource::kBppc);
  EXPECT_EQ(patient_.rules[0].source_document, "1.1");
  EXPECT_EQ(patient_.rules[0].id, "bppc:1.1:0");
}

TEST_F(BppcTest, NewerDocumentReplacesBppcRulesDeskRulesStay) {
  patient_.rules.push_back(Rule("desk-jgz", Effect::kPermit, OrgSubject(kYouthHealth)));
  ASSERT_TRUE(ApplyConsentDocument(domain_, Consent("1.1", {"1.2.3.opt-in-all"}, kLastWeek), &patient_).ok());
  EXPECT_TRUE(Sees(Org(kUnlisted)));
  ASSERT_TRUE(ApplyConsentDocument(domain_, Consent("1.2", {"1.2.3.hospital-only"}), &patient_).ok());
  EXPECT_FALSE(Sees(Org(kUnlisted)));  // the older document's permit is gone
  EXPECT_TRUE(Sees(Org(kHospital)));
  EXPECT_TRUE(Sees(Org(kYouthHealth)));  // the desk's rule stays
  EXPECT_EQ(patient_.rules.size(), 2u);
  EXPECT_EQ(patient_.bppc_document, "1.2");
}

TEST_F(BppcTest, OlderDocumentArrivingLateChangesNothing) {
  ASSERT_TRUE(ApplyConsentDocument(domain_, Consent("1.2", {"1.2.3.hospital-only"}), &patient_).ok());
  auto applied = ApplyConsentDocument(domain_, Consent("1.1", {"1.2.3.opt-in-all"}, kLastWeek), &patient_);
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(*applied);
  EXPECT_FALSE(Sees(Org(kUnlisted)));
  EXPECT_EQ(patient_.bppc_document, "1.2");
}

TEST_F(BppcTest, SeveralPoliciesCombineAndDenyWins) {
  ASSERT_TRUE(
      ApplyConsentDocument(domain_, Consent("1.1", {"1.2.3.opt-in-all", "1.2.3.no-mental-health"}), &patient_).ok());
  EXPECT_TRUE(Sees(Org(kUnlisted)));
  EXPECT_FALSE(Sees(Org(kUnlisted), Doc(kMidwife, Cv("NOTE"), Cv("PSY"))));
}

TEST_F(BppcTest, WithdrawingPolicyLeavesNoBppcRules) {
  ASSERT_TRUE(ApplyConsentDocument(domain_, Consent("1.1", {"1.2.3.opt-in-all"}, kLastWeek), &patient_).ok());
  EXPECT_TRUE(Sees(Org(kHospital)));
  ASSERT_TRUE(ApplyConsentDocument(domain_, Consent("1.2", {"1.2.3.withdraw"}), &patient_).ok());
  EXPECT_TRUE(patient_.rules.empty());
  EXPECT_FALSE(Sees(Org(kHospital)));
}

TEST_F(BppcTest, ValidityFromServiceTimes) {
  DocumentEntry e = Consent("1.1", {"1.2.3.opt-in-all"});
  e.set_service_stop_time(kNextYear);
  auto rules = RulesFromConsentDocument(domain_, e);
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].valid_from,
            absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2023, 11, 13, 12, 0, 0), absl::UTCTimeZone())));
  EXPECT_EQ((*rules)[0].valid_to,
            absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2024, 11, 14, 0, 0, 0), absl::UTCTimeZone())));

  // Signed for a period that has not started yet: not in force today.
  ASSERT_TRUE(ApplyConsentDocument(domain_, Consent("1.3", {"1.2.3.opt-in-all"}, kNextYear), &patient_).ok());
  EXPECT_FALSE(Sees(Org(kHospital)));
}

TEST_F(BppcTest, CreationTimeWhenNoServiceStartTime) {
  DocumentEntry e = Consent("1.1", {"1.2.3.opt-in-all"});
  e.clear_service_start_time();
  e.set_creation_time("20231113");
  auto from = ConsentEffectiveTime(e);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(*from, absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2023, 11, 13), absl::UTCTimeZone())));
  e.clear_creation_time();
  EXPECT_EQ(ConsentEffectiveTime(e).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BppcTest, NotAConsentDocument) {
  DocumentEntry e = Consent("1.1", {"1.2.3.opt-in-all"});
  e.mutable_class_code()->set_code("11369-6");
  EXPECT_FALSE(IsConsentDocument(domain_, e));
  EXPECT_EQ(ApplyConsentDocument(domain_, e, &patient_).status().code(), absl::StatusCode::kFailedPrecondition);
  domain_.bppc.enabled = false;
  EXPECT_FALSE(IsConsentDocument(domain_, Consent("1.1", {"1.2.3.opt-in-all"})));
}

TEST_F(BppcTest, UnknownPolicyOidRefusedPatientUnchanged) {
  patient_.rules.push_back(Rule("desk", Effect::kPermit, OrgSubject(kHospital)));
  auto applied = ApplyConsentDocument(domain_, Consent("1.1", {"1.2.3.opt-in-all", "9.9.9"}), &patient_);
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(applied.status().message()).find("9.9.9"), std::string::npos);
  EXPECT_EQ(patient_.rules.size(), 1u);
  EXPECT_TRUE(patient_.bppc_document.empty());
}

TEST_F(BppcTest, MalformedConsentDocumentsRefused) {
  EXPECT_EQ(ApplyConsentDocument(domain_, Consent("1.1", {}), &patient_).status().code(),
            absl::StatusCode::kInvalidArgument);
  DocumentEntry other = Consent("1.1", {"1.2.3.opt-in-all"});
  other.set_patient_id("someone-else^^^&1.2&ISO");
  EXPECT_EQ(ApplyConsentDocument(domain_, other, &patient_).status().code(), absl::StatusCode::kInvalidArgument);
  DocumentEntry backwards = Consent("1.1", {"1.2.3.opt-in-all"});
  backwards.set_service_stop_time(kLastWeek);
  EXPECT_EQ(ApplyConsentDocument(domain_, backwards, &patient_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(patient_.rules.empty());
}

}  // namespace
}  // namespace xds::policy
