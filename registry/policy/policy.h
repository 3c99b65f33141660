// The consent and access policy model of issue 16: what an affinity domain decides once (its
// DomainPolicy, a JSON file documented in README.md) and what each patient decides (her
// PatientPolicy: consent rules, treatment relationships, exclusions). Pure values: no store,
// no service. Times are UTC milliseconds since the epoch; 0 means "open" (no bound).
#ifndef XDS_REGISTRY_POLICY_POLICY_H_
#define XDS_REGISTRY_POLICY_POLICY_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace xds::policy {

// Category given to organisations the domain does not list, unless the file names another.
inline constexpr char kOtherCategory[] = "other";
// Wildcard for a rule's subject or data category.
inline constexpr char kAny[] = "*";

enum class ConsentModel {
  kOptIn,   // nothing visible without a valid permit
  kOptOut,  // visible unless a valid deny
};

enum class Effect { kPermit, kDeny };

// A coded value as XDS carries it; written "code^^scheme" in the policy file.
struct CodedValue {
  std::string code;
  std::string scheme;
  bool operator==(const CodedValue& o) const { return code == o.code && scheme == o.scheme; }
  bool operator<(const CodedValue& o) const { return code != o.code ? code < o.code : scheme < o.scheme; }
};

// Parses "code^^scheme" (both parts non-empty); InvalidArgument otherwise.
absl::StatusOr<CodedValue> ParseCodedValue(std::string_view text);
std::string ToString(const CodedValue& v);

// Which document attribute a data-category row looks at.
enum class CodeAttribute { kClassCode, kTypeCode, kConfidentialityCode };

// One row of the data-category table: documents whose `attribute` carries `value` belong to
// `category`. Rows are tried in file order; the first that matches wins.
struct DataCategoryRule {
  CodeAttribute attribute = CodeAttribute::kClassCode;
  CodedValue value;
  std::string category;
};

// Who a rule, relationship or exclusion is about.
struct Subject {
  enum class Kind {
    kAny,           // everyone ("*"; rules only)
    kOrganization,  // one organisation id (as in its TLS certificate)
    kCategory,      // every organisation of a category (rules only)
    kProfessional,  // one professional (the XUA subject-id)
  };
  Kind kind = Kind::kAny;
  std::string id;  // empty for kAny
  bool operator==(const Subject& o) const { return kind == o.kind && id == o.id; }
};

// Parses "*", "organization:ID", "category:NAME" or "professional:ID" (the id may itself
// contain ':'); InvalidArgument otherwise.
absl::StatusOr<Subject> ParseSubject(std::string_view text);
std::string ToString(const Subject& s);

// A consent rule as the BPPC mapping writes it: effect, subject and data category, without
// validity (that comes from the consent document).
struct RuleTemplate {
  Effect effect = Effect::kPermit;
  Subject subject;
  std::string data_category = kAny;
};

struct BreakTheGlass {
  bool allowed = false;
  std::set<std::string> purposes_of_use;  // XUA PurposeOfUse codes that mean emergency
  // Exclusions and restricted confidentiality hold even in an emergency unless the domain
  // explicitly says otherwise (Belgian rules: the patient's exclusion always wins).
  bool overrides_exclusions = false;
  bool overrides_restricted = false;
};

// How a registered BPPC consent document (ITI TF-1 Annex/BPPC) becomes consent rules.
struct BppcMapping {
  bool enabled = false;
  CodedValue class_code;  // the DocumentEntry classCode that marks a consent document
  // Policy OID carried in eventCodeList (the code value) -> the rules it stands for. An
  // empty list is allowed: a document carrying only that OID withdraws earlier BPPC rules.
  std::map<std::string, std::vector<RuleTemplate>> policies;
};

// Everything an affinity domain configures once. Load with ParseDomainPolicy.
struct DomainPolicy {
  std::string domain;  // affinity domain id, for logs and audit
  ConsentModel consent_model = ConsentModel::kOptIn;
  std::map<std::string, std::string> organization_categories;  // organisation id -> category
  std::string default_organization_category = kOtherCategory;
  std::vector<DataCategoryRule> data_category_rules;
  std::string default_data_category = "general";
  bool treatment_relationship_required = false;
  std::set<CodedValue> restricted_confidentiality_codes;
  BreakTheGlass break_the_glass;
  BppcMapping bppc;

  // The category of an organisation (the configured default when unlisted).
  const std::string& OrganizationCategory(const std::string& organization_id) const;
  // Every data category a document can fall into: the table's and the default.
  std::set<std::string> DataCategories() const;
};

// Parses the JSON policy file. InvalidArgument naming the offending field (e.g.
// `data_categories.rules[2].code`) for malformed JSON, unknown keys, wrong types or values.
absl::StatusOr<DomainPolicy> ParseDomainPolicy(std::string_view json);
// Reads and parses `path`; NotFound when it cannot be read.
absl::StatusOr<DomainPolicy> LoadDomainPolicy(const std::string& path);

// Where a consent rule came from: the consent desk (gRPC/xdsctl) or a BPPC document. A newer
// BPPC document replaces only the kBppc rules.
enum class RuleSource { kDesk, kBppc };

struct ConsentRule {
  std::string id;
  Effect effect = Effect::kPermit;
  Subject subject;
  std::string data_category = kAny;
  int64_t valid_from = 0;  // inclusive; 0 = since ever
  int64_t valid_to = 0;    // exclusive; 0 = until revoked
  RuleSource source = RuleSource::kDesk;
  std::string source_document;  // the BPPC document's uniqueId when source == kBppc
};

// A treatment (therapeutic) relationship with an organisation or a professional.
struct TreatmentRelationship {
  Subject subject;    // kOrganization or kProfessional
  int64_t start = 0;  // inclusive; 0 = since ever
  int64_t end = 0;    // exclusive; 0 = ongoing
};

// She excludes a named organisation or professional: wins over every permit.
struct Exclusion {
  Subject subject;  // kOrganization or kProfessional
  int64_t valid_from = 0;
  int64_t valid_to = 0;
};

// Everything one patient decided.
struct PatientPolicy {
  std::string patient_id;  // CX, as the registry stores it
  std::vector<ConsentRule> rules;
  std::vector<TreatmentRelationship> relationships;
  std::vector<Exclusion> exclusions;
  // The BPPC document the kBppc rules came from, and its effective time (ms), so that an
  // older document arriving late does not replace a newer one.
  std::string bppc_document;
  int64_t bppc_effective = 0;
};

// Who asks. The time of the request is Decide's `now`.
struct Requester {
  std::string organization_id;  // from the verified TLS client certificate
  std::string professional_id;  // XUA subject-id; empty when no assertion
  std::string purpose_of_use;   // XUA PurposeOfUse code; empty when none
};

// What the decision needs to know about one DocumentEntry.
struct DocumentFacts {
  std::string patient_id;
  CodedValue class_code;
  CodedValue type_code;
  std::vector<CodedValue> confidentiality_codes;
  std::string submitting_organization_id;  // the organisation that registered it
};

// True when `window` [from, to) (0 = open) contains `now_ms`.
bool InWindow(int64_t from, int64_t to, int64_t now_ms);

}  // namespace xds::policy

#endif  // XDS_REGISTRY_POLICY_POLICY_H_
