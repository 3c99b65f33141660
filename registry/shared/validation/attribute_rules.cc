#include "registry/shared/validation/attribute_rules.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "registry/shared/validation/text_util.h"
#include "xds-schemas/metadata_attributes.h"

namespace xds::validation {
namespace {

constexpr char kHeader[] = "object\tattribute\tds41\tdr42\tcardinality\ttype\tencoding\tmax_length\tallowed\ttf_ref";
constexpr size_t kColumns = 10;

bool ParseOptionality(std::string_view s, Optionality* out) {
  static const auto* const kNames = new std::map<std::string_view, Optionality>{
      {"R", Optionality::kRequired},
      {"R2", Optionality::kRequiredIfKnown},
      {"O", Optionality::kOptional},
      {"X", Optionality::kProhibited},
  };
  auto it = kNames->find(s);
  if (it == kNames->end()) return false;
  *out = it->second;
  return true;
}

bool ParseType(std::string_view s, ValueType* out) {
  static const auto* const kNames = new std::map<std::string_view, ValueType>{
      {"String", ValueType::kString},
      {"DTM", ValueType::kDtm},
      {"OID", ValueType::kOid},
      {"OIDURN", ValueType::kOidUrn},
      {"CX", ValueType::kCx},
      {"CXLocal", ValueType::kCxLocal},
      {"SHA1", ValueType::kSha1},
      {"Integer", ValueType::kInteger},
      {"UUID", ValueType::kUuid},
      {"Reference", ValueType::kReference},
      {"Code", ValueType::kCode},
      {"Author", ValueType::kAuthor},
      {"MimeType", ValueType::kMimeType},
      {"ObjectType", ValueType::kObjectType},
      {"AssociationType", ValueType::kAssociationType},
      {"Flag", ValueType::kFlag},
      {"Status", ValueType::kStatus},
      {"Identifier", ValueType::kIdentifier},
      {"XCN", ValueType::kXcn},
      {"CXi", ValueType::kCxi},
      {"Field", ValueType::kField},
      {"URI", ValueType::kUri},
      {"URN", ValueType::kUrn},
      {"Recipient", ValueType::kRecipient},
  };
  auto it = kNames->find(s);
  if (it == kNames->end()) return false;
  *out = it->second;
  return true;
}

bool ParseEncoding(std::string_view s, Encoding* out) {
  static const auto* const kNames = new std::map<std::string_view, Encoding>{
      {"Attribute", Encoding::kAttribute},
      {"Slot", Encoding::kSlot},
      {"Classification", Encoding::kClassification},
      {"ExternalIdentifier", Encoding::kExternalIdentifier},
      {"Name", Encoding::kName},
      {"Description", Encoding::kDescription},
  };
  auto it = kNames->find(s);
  if (it == kNames->end()) return false;
  *out = it->second;
  return true;
}

// "1", "0..1", "1..n", "0..n".
bool ParseCardinality(std::string_view s, int* min, int* max) {
  std::vector<std::string_view> parts = Split(s, "..");
  if (parts.size() == 1) {
    if (!ParseUnsigned(parts[0], min)) return false;
    *max = *min;
    return *max > 0;
  }
  if (parts.size() != 2 || !ParseUnsigned(parts[0], min)) return false;
  if (parts[1] == "n") {
    *max = -1;
    return true;
  }
  return ParseUnsigned(parts[1], max) && *max >= *min && *max > 0;
}

}  // namespace

std::string_view OptionalityName(Optionality optionality) {
  switch (optionality) {
    case Optionality::kRequired:
      return "R";
    case Optionality::kRequiredIfKnown:
      return "R2";
    case Optionality::kOptional:
      return "O";
    case Optionality::kProhibited:
      return "X";
  }
  return "?";
}

absl::StatusOr<std::vector<AttributeRule>> ParseAttributeRules(std::string_view tsv) {
  std::vector<AttributeRule> rules;
  bool header_seen = false;
  int line_number = 0;
  std::map<std::pair<std::string, std::string>, int> seen;
  for (std::string_view line : Split(tsv, "\n")) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(Cat("metadata attribute table line ", line_number, ": ", why));
    };
    if (!header_seen) {
      if (line != kHeader) return bad(Cat("header must be: ", kHeader));
      header_seen = true;
      continue;
    }
    std::vector<std::string_view> f = Split(line, "\t");
    if (f.size() != kColumns) {
      return bad(Cat("expected ", kColumns, " tab-separated columns, found ", f.size()));
    }
    AttributeRule rule;
    rule.object = std::string(f[0]);
    rule.attribute = std::string(f[1]);
    if (rule.object.empty() || rule.attribute.empty()) return bad("empty object or attribute");
    if (!ParseOptionality(f[2], &rule.ds41)) return bad(Cat("bad ds41 '", f[2], "'"));
    if (!ParseOptionality(f[3], &rule.dr42)) return bad(Cat("bad dr42 '", f[3], "'"));
    if (!ParseCardinality(f[4], &rule.min_count, &rule.max_count)) {
      return bad(Cat("bad cardinality '", f[4], "'"));
    }
    if (!ParseType(f[5], &rule.type)) return bad(Cat("unknown type '", f[5], "'"));
    if (!ParseEncoding(f[6], &rule.encoding)) return bad(Cat("unknown encoding '", f[6], "'"));
    if (!f[7].empty() && (!ParseUnsigned(f[7], &rule.max_length) || rule.max_length == 0)) {
      return bad(Cat("bad max_length '", f[7], "'"));
    }
    if (!f[8].empty()) {
      for (std::string_view v : Split(f[8], "|")) rule.allowed.emplace_back(v);
    }
    rule.tf_ref = std::string(f[9]);
    if (!seen.emplace(std::make_pair(rule.object, rule.attribute), line_number).second) {
      return bad(Cat("duplicate row for ", rule.object, ".", rule.attribute));
    }
    rules.push_back(std::move(rule));
  }
  if (!header_seen) return absl::InvalidArgumentError("metadata attribute table has no header");
  return rules;
}

const absl::StatusOr<std::vector<AttributeRule>>& MetadataAttributeRules() {
  static const auto* const kRules =
      new absl::StatusOr<std::vector<AttributeRule>>(ParseAttributeRules(schemas::MetadataAttributesTsv()));
  return *kRules;
}

}  // namespace xds::validation
