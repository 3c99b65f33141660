#include "registry/policy/policy.h"

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace xds::policy {
namespace {

using nlohmann::json;

absl::Status Invalid(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("policy file: ", path.empty() ? "(top level)" : path, ": ", what));
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

// Unknown keys are refused rather than ignored: a misspelt "overrides_exclusions" would
// otherwise silently fall back to a default and share more than the domain meant to.
absl::Status OnlyKeys(const json& obj, const std::string& path, std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) return Invalid(path, "must be an object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      return Invalid(Join(path, it.key()), absl::StrCat("unknown field (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

const json* Find(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

absl::StatusOr<std::string> GetString(const json& v, const std::string& path, bool allow_empty = false) {
  if (!v.is_string()) return Invalid(path, "must be a string");
  std::string s = v.get<std::string>();
  if (s.empty() && !allow_empty) return Invalid(path, "must not be empty");
  return s;
}

absl::StatusOr<bool> GetBool(const json& v, const std::string& path) {
  if (!v.is_boolean()) return Invalid(path, "must be true or false");
  return v.get<bool>();
}

// A category name: non-empty and not the wildcard, which rules reserve.
absl::StatusOr<std::string> GetCategory(const json& v, const std::string& path) {
  auto s = GetString(v, path);
  if (!s.ok()) return s.status();
  if (*s == kAny) return Invalid(path, "\"*\" is not a category name");
  return s;
}

absl::StatusOr<CodedValue> GetCode(const json& v, const std::string& path) {
  auto s = GetString(v, path);
  if (!s.ok()) return s.status();
  auto c = ParseCodedValue(*s);
  if (!c.ok()) return Invalid(path, c.status().message());
  return c;
}

#define POLICY_ASSIGN(lhs, expr)      \
  do {                                \
    auto _v = (expr);                 \
    if (!_v.ok()) return _v.status(); \
    lhs = *std::move(_v);             \
  } while (false)

#define POLICY_RETURN_IF_ERROR(expr) \
  do {                               \
    absl::Status _s = (expr);        \
    if (!_s.ok()) return _s;         \
  } while (false)

absl::Status ParseOrganizations(const json& v, DomainPolicy* p) {
  const std::string path = "organizations";
  POLICY_RETURN_IF_ERROR(OnlyKeys(v, path, {"default_category", "categories", "members"}));
  if (const json* d = Find(v, "default_category"))
    POLICY_ASSIGN(p->default_organization_category, GetCategory(*d, Join(path, "default_category")));
  std::set<std::string> declared;
  const json* cats = Find(v, "categories");
  if (cats != nullptr) {
    if (!cats->is_array()) return Invalid(Join(path, "categories"), "must be an array of category names");
    for (size_t i = 0; i < cats->size(); ++i) {
      std::string c;
      POLICY_ASSIGN(c, GetCategory((*cats)[i], absl::StrCat(path, ".categories[", i, "]")));
      declared.insert(c);
    }
    declared.insert(p->default_organization_category);
  }
  if (const json* m = Find(v, "members")) {
    if (!m->is_object()) return Invalid(Join(path, "members"), "must map organisation ids to categories");
    for (auto it = m->begin(); it != m->end(); ++it) {
      const std::string field = absl::StrCat(path, ".members[\"", it.key(), "\"]");
      if (it.key().empty()) return Invalid(field, "organisation id must not be empty");
      std::string c;
      POLICY_ASSIGN(c, GetCategory(it.value(), field));
      if (cats != nullptr && declared.count(c) == 0) {
        return Invalid(field, absl::StrCat("category \"", c, "\" is not in organizations.categories"));
      }
      p->organization_categories[it.key()] = c;
    }
  }
  return absl::OkStatus();
}

absl::Status ParseDataCategories(const json& v, DomainPolicy* p) {
  const std::string path = "data_categories";
  POLICY_RETURN_IF_ERROR(OnlyKeys(v, path, {"default", "rules"}));
  if (const json* d = Find(v, "default"))
    POLICY_ASSIGN(p->default_data_category, GetCategory(*d, Join(path, "default")));
  const json* rules = Find(v, "rules");
  if (rules == nullptr) return absl::OkStatus();
  if (!rules->is_array()) return Invalid(Join(path, "rules"), "must be an array");
  for (size_t i = 0; i < rules->size(); ++i) {
    const std::string at = absl::StrCat(path, ".rules[", i, "]");
    const json& r = (*rules)[i];
    POLICY_RETURN_IF_ERROR(OnlyKeys(r, at, {"attribute", "code", "category"}));
    DataCategoryRule row;
    const json* attr = Find(r, "attribute");
    if (attr == nullptr) return Invalid(Join(at, "attribute"), "missing");
    std::string a;
    POLICY_ASSIGN(a, GetString(*attr, Join(at, "attribute")));
    if (a == "classCode") {
      row.attribute = CodeAttribute::kClassCode;
    } else if (a == "typeCode") {
      row.attribute = CodeAttribute::kTypeCode;
    } else if (a == "confidentialityCode") {
      row.attribute = CodeAttribute::kConfidentialityCode;
    } else {
      return Invalid(Join(at, "attribute"), "must be classCode, typeCode or confidentialityCode");
    }
    const json* code = Find(r, "code");
    if (code == nullptr) return Invalid(Join(at, "code"), "missing");
    POLICY_ASSIGN(row.value, GetCode(*code, Join(at, "code")));
    const json* cat = Find(r, "category");
    if (cat == nullptr) return Invalid(Join(at, "category"), "missing");
    POLICY_ASSIGN(row.category, GetCategory(*cat, Join(at, "category")));
    p->data_category_rules.push_back(std::move(row));
  }
  return absl::OkStatus();
}

absl::Status ParseBreakTheGlass(const json& v, DomainPolicy* p) {
  const std::string path = "break_the_glass";
  POLICY_RETURN_IF_ERROR(
      OnlyKeys(v, path, {"allowed", "purpose_of_use", "overrides_exclusions", "overrides_restricted"}));
  BreakTheGlass& btg = p->break_the_glass;
  const json* allowed = Find(v, "allowed");
  if (allowed == nullptr) return Invalid(Join(path, "allowed"), "missing");
  POLICY_ASSIGN(btg.allowed, GetBool(*allowed, Join(path, "allowed")));
  if (const json* pou = Find(v, "purpose_of_use")) {
    if (!pou->is_array()) return Invalid(Join(path, "purpose_of_use"), "must be an array of codes");
    for (size_t i = 0; i < pou->size(); ++i) {
      std::string c;
      POLICY_ASSIGN(c, GetString((*pou)[i], absl::StrCat(path, ".purpose_of_use[", i, "]")));
      btg.purposes_of_use.insert(c);
    }
  }
  if (btg.allowed && btg.purposes_of_use.empty()) {
    return Invalid(Join(path, "purpose_of_use"), "must name at least one code when allowed is true");
  }
  if (const json* o = Find(v, "overrides_exclusions"))
    POLICY_ASSIGN(btg.overrides_exclusions, GetBool(*o, Join(path, "overrides_exclusions")));
  if (const json* o = Find(v, "overrides_restricted"))
    POLICY_ASSIGN(btg.overrides_restricted, GetBool(*o, Join(path, "overrides_restricted")));
  return absl::OkStatus();
}

std::set<std::string> OrganizationCategories(const DomainPolicy& p) {
  std::set<std::string> out{p.default_organization_category};
  for (const auto& [id, c] : p.organization_categories) out.insert(c);
  return out;
}

// The BPPC rules name categories the rest of the file defines; an unknown one is a typo
// that would never match, so it is refused.
absl::Status ParseBppc(const json& v, const std::set<std::string>& org_categories, DomainPolicy* p) {
  const std::string path = "bppc";
  POLICY_RETURN_IF_ERROR(OnlyKeys(v, path, {"class_code", "policies"}));
  const json* cc = Find(v, "class_code");
  if (cc == nullptr) return Invalid(Join(path, "class_code"), "missing");
  POLICY_ASSIGN(p->bppc.class_code, GetCode(*cc, Join(path, "class_code")));
  const json* policies = Find(v, "policies");
  if (policies == nullptr) return Invalid(Join(path, "policies"), "missing");
  if (!policies->is_object() || policies->empty()) {
    return Invalid(Join(path, "policies"), "must map at least one policy OID to a list of rules");
  }
  const std::set<std::string> data_categories = p->DataCategories();
  for (auto it = policies->begin(); it != policies->end(); ++it) {
    const std::string at = absl::StrCat(path, ".policies[\"", it.key(), "\"]");
    if (it.key().empty()) return Invalid(at, "policy OID must not be empty");
    if (!it.value().is_array()) return Invalid(at, "must be an array of rules");
    std::vector<RuleTemplate>& templates = p->bppc.policies[it.key()];
    for (size_t i = 0; i < it.value().size(); ++i) {
      const std::string rat = absl::StrCat(at, "[", i, "]");
      const json& r = it.value()[i];
      POLICY_RETURN_IF_ERROR(OnlyKeys(r, rat, {"effect", "subject", "data_category"}));
      RuleTemplate t;
      const json* effect = Find(r, "effect");
      if (effect == nullptr) return Invalid(Join(rat, "effect"), "missing");
      std::string e;
      POLICY_ASSIGN(e, GetString(*effect, Join(rat, "effect")));
      if (e != "permit" && e != "deny") return Invalid(Join(rat, "effect"), "must be permit or deny");
      t.effect = e == "permit" ? Effect::kPermit : Effect::kDeny;
      const json* subject = Find(r, "subject");
      if (subject == nullptr) return Invalid(Join(rat, "subject"), "missing");
      std::string s;
      POLICY_ASSIGN(s, GetString(*subject, Join(rat, "subject")));
      auto parsed = ParseSubject(s);
      if (!parsed.ok()) return Invalid(Join(rat, "subject"), parsed.status().message());
      t.subject = *parsed;
      if (t.subject.kind == Subject::Kind::kCategory && org_categories.count(t.subject.id) == 0) {
        return Invalid(Join(rat, "subject"), absl::StrCat("unknown organisation category \"", t.subject.id, "\""));
      }
      if (const json* dc = Find(r, "data_category")) {
        POLICY_ASSIGN(t.data_category, GetString(*dc, Join(rat, "data_category")));
        if (t.data_category != kAny && data_categories.count(t.data_category) == 0) {
          return Invalid(Join(rat, "data_category"), absl::StrCat("unknown data category \"", t.data_category, "\""));
        }
      }
      templates.push_back(std::move(t));
    }
  }
  p->bppc.enabled = true;
  return absl::OkStatus();
}

absl::StatusOr<DomainPolicy> ParseObject(const json& root) {
  POLICY_RETURN_IF_ERROR(
      OnlyKeys(root, "",
               {"domain", "description", "consent_model", "organizations", "data_categories",
                "treatment_relationship_required", "restricted_confidentiality_codes", "break_the_glass", "bppc"}));
  DomainPolicy p;
  const json* domain = Find(root, "domain");
  if (domain == nullptr) return Invalid("domain", "missing");
  POLICY_ASSIGN(p.domain, GetString(*domain, "domain"));
  if (const json* d = Find(root, "description")) {
    std::string ignored;
    POLICY_ASSIGN(ignored, GetString(*d, "description", /*allow_empty=*/true));
  }
  // No default: whether a region is opt-in or opt-out is the one thing nobody may forget.
  const json* model = Find(root, "consent_model");
  if (model == nullptr) return Invalid("consent_model", "missing (opt-in or opt-out)");
  std::string m;
  POLICY_ASSIGN(m, GetString(*model, "consent_model"));
  if (m == "opt-in") {
    p.consent_model = ConsentModel::kOptIn;
  } else if (m == "opt-out") {
    p.consent_model = ConsentModel::kOptOut;
  } else {
    return Invalid("consent_model", "must be opt-in or opt-out");
  }
  if (const json* o = Find(root, "organizations")) POLICY_RETURN_IF_ERROR(ParseOrganizations(*o, &p));
  if (const json* d = Find(root, "data_categories")) POLICY_RETURN_IF_ERROR(ParseDataCategories(*d, &p));
  if (const json* t = Find(root, "treatment_relationship_required")) {
    POLICY_ASSIGN(p.treatment_relationship_required, GetBool(*t, "treatment_relationship_required"));
  }
  if (const json* r = Find(root, "restricted_confidentiality_codes")) {
    if (!r->is_array()) return Invalid("restricted_confidentiality_codes", "must be an array of \"code^^scheme\"");
    for (size_t i = 0; i < r->size(); ++i) {
      CodedValue c;
      POLICY_ASSIGN(c, GetCode((*r)[i], absl::StrCat("restricted_confidentiality_codes[", i, "]")));
      p.restricted_confidentiality_codes.insert(c);
    }
  }
  if (const json* b = Find(root, "break_the_glass")) POLICY_RETURN_IF_ERROR(ParseBreakTheGlass(*b, &p));
  if (const json* b = Find(root, "bppc")) POLICY_RETURN_IF_ERROR(ParseBppc(*b, OrganizationCategories(p), &p));
  return p;
}

#undef POLICY_ASSIGN
#undef POLICY_RETURN_IF_ERROR

}  // namespace

absl::StatusOr<CodedValue> ParseCodedValue(std::string_view text) {
  size_t sep = text.find("^^");
  if (sep == std::string_view::npos || sep == 0 || sep + 2 >= text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", std::string(text), "\" is not \"code^^scheme\""));
  }
  return CodedValue{std::string(text.substr(0, sep)), std::string(text.substr(sep + 2))};
}

std::string ToString(const CodedValue& v) { return absl::StrCat(v.code, "^^", v.scheme); }

absl::StatusOr<Subject> ParseSubject(std::string_view text) {
  if (text == kAny) return Subject{Subject::Kind::kAny, ""};
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && colon + 1 < text.size()) {
    std::string_view kind = text.substr(0, colon);
    std::string id(text.substr(colon + 1));
    if (kind == "organization") return Subject{Subject::Kind::kOrganization, id};
    if (kind == "category") return Subject{Subject::Kind::kCategory, id};
    if (kind == "professional") return Subject{Subject::Kind::kProfessional, id};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", std::string(text), "\" is not \"*\", \"organization:ID\", \"category:NAME\" or \"professional:ID\""));
}

std::string ToString(const Subject& s) {
  switch (s.kind) {
    case Subject::Kind::kAny:
      return kAny;
    case Subject::Kind::kOrganization:
      return "organization:" + s.id;
    case Subject::Kind::kCategory:
      return "category:" + s.id;
    case Subject::Kind::kProfessional:
      return "professional:" + s.id;
  }
  return "";
}

const std::string& DomainPolicy::OrganizationCategory(const std::string& organization_id) const {
  auto it = organization_categories.find(organization_id);
  return it == organization_categories.end() ? default_organization_category : it->second;
}

std::set<std::string> DomainPolicy::DataCategories() const {
  std::set<std::string> out{default_data_category};
  for (const DataCategoryRule& r : data_category_rules) out.insert(r.category);
  return out;
}

bool InWindow(int64_t from, int64_t to, int64_t now_ms) {
  return (from == 0 || from <= now_ms) && (to == 0 || now_ms < to);
}

absl::StatusOr<DomainPolicy> ParseDomainPolicy(std::string_view text) {
  // No exceptions from the parser: a malformed file is a value, as everywhere else.
  json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("", "not valid JSON");
  if (!root.is_object()) return Invalid("", "must be a JSON object");
  return ParseObject(root);
}

absl::StatusOr<DomainPolicy> LoadDomainPolicy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("policy file ", path, " cannot be read"));
  std::stringstream buf;
  buf << in.rdbuf();
  auto p = ParseDomainPolicy(buf.str());
  if (!p.ok()) return absl::Status(p.status().code(), absl::StrCat(path, ": ", p.status().message()));
  return p;
}

}  // namespace xds::policy
