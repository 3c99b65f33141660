// A small Dutch-style perinatal domain built in code, so that the decision tests do not
// depend on the JSON loader (which has its own tests).
#ifndef XDS_REGISTRY_POLICY_POLICY_TEST_UTIL_H_
#define XDS_REGISTRY_POLICY_POLICY_TEST_UTIL_H_

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "registry/policy/policy.h"

namespace xds::policy::testing {

inline constexpr char kPatient[] = "9990001^^^&2.16.840.1.113883.2.4.6.3&ISO";
inline constexpr char kMidwife[] = "org-midwife";
inline constexpr char kHospital[] = "org-hospital";
inline constexpr char kHospital2[] = "org-hospital-2";
inline constexpr char kYouthHealth[] = "org-jgz";
inline constexpr char kUnlisted[] = "org-unlisted";
inline constexpr int64_t kNowMs = 1'700'000'000'000;
inline constexpr int64_t kDayMs = 86'400'000;

inline absl::Time Now() { return absl::FromUnixMillis(kNowMs); }

inline CodedValue Cv(const std::string& code, const std::string& scheme = "test") { return CodedValue{code, scheme}; }
inline const CodedValue kRestrictedCode{"R", "2.16.840.1.113883.5.25"};
inline const CodedValue kNormalCode{"N", "2.16.840.1.113883.5.25"};

// opt-in; categories midwifery/hospital/youth-health; data categories perinatal (classCode
// PREG), mental-health (typeCode PSY), sensitive (confidentialityCode V), default general;
// R restricted; break-the-glass allowed for EMERGENCY/ETREAT/BTG.
inline DomainPolicy PerinatalDomain() {
  DomainPolicy d;
  d.domain = "test-perinatal";
  d.consent_model = ConsentModel::kOptIn;
  d.organization_categories = {
      {kMidwife, "midwifery"}, {kHospital, "hospital"}, {kHospital2, "hospital"}, {kYouthHealth, "youth-health"}};
  d.data_category_rules = {{CodeAttribute::kConfidentialityCode, Cv("V"), "sensitive"},
                           {CodeAttribute::kClassCode, Cv("PREG"), "perinatal"},
                           {CodeAttribute::kTypeCode, Cv("PSY"), "mental-health"}};
  d.default_data_category = "general";
  d.restricted_confidentiality_codes = {kRestrictedCode};
  d.break_the_glass.allowed = true;
  d.break_the_glass.purposes_of_use = {"EMERGENCY", "ETREAT", "BTG"};
  d.bppc.enabled = true;
  d.bppc.class_code = CodedValue{"57016-8", "2.16.840.1.113883.6.1"};
  d.bppc.policies["1.2.3.opt-in-all"] = {{Effect::kPermit, Subject{Subject::Kind::kAny, ""}, kAny}};
  d.bppc.policies["1.2.3.hospital-only"] = {{Effect::kPermit, Subject{Subject::Kind::kCategory, "hospital"}, kAny}};
  d.bppc.policies["1.2.3.no-mental-health"] = {{Effect::kDeny, Subject{Subject::Kind::kAny, ""}, "mental-health"}};
  d.bppc.policies["1.2.3.withdraw"] = {};
  return d;
}

inline PatientPolicy Patient() {
  PatientPolicy p;
  p.patient_id = kPatient;
  return p;
}

// A general-category, normal-confidentiality document submitted by `submitter`.
inline DocumentFacts Doc(const std::string& submitter = kMidwife, CodedValue class_code = Cv("NOTE"),
                         CodedValue type_code = Cv("T1")) {
  DocumentFacts f;
  f.patient_id = kPatient;
  f.class_code = std::move(class_code);
  f.type_code = std::move(type_code);
  f.confidentiality_codes = {kNormalCode};
  f.submitting_organization_id = submitter;
  return f;
}

inline Requester Org(const std::string& organization, const std::string& professional = "",
                     const std::string& purpose = "TREATMENT") {
  return Requester{organization, professional, purpose};
}

inline Subject AnySubject() { return Subject{Subject::Kind::kAny, ""}; }
inline Subject OrgSubject(const std::string& id) { return Subject{Subject::Kind::kOrganization, id}; }
inline Subject CategorySubject(const std::string& id) { return Subject{Subject::Kind::kCategory, id}; }
inline Subject ProfessionalSubject(const std::string& id) { return Subject{Subject::Kind::kProfessional, id}; }

inline ConsentRule Rule(const std::string& id, Effect effect, Subject subject, const std::string& data_category = kAny,
                        int64_t valid_from = 0, int64_t valid_to = 0) {
  ConsentRule r;
  r.id = id;
  r.effect = effect;
  r.subject = std::move(subject);
  r.data_category = data_category;
  r.valid_from = valid_from;
  r.valid_to = valid_to;
  return r;
}

}  // namespace xds::policy::testing

#endif  // XDS_REGISTRY_POLICY_POLICY_TEST_UTIL_H_
