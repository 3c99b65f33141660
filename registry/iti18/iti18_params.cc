// ITI-18 parameter tables and value decoding (ITI TF-2 3.18.4.1.2.3).
#include "registry/iti18/iti18_params.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "registry/registry.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/validation/metadata_validator.h"

namespace xds::iti18 {
namespace {

constexpr ErrorCode kStoredQueryMissingParam = err::kStoredQueryMissingParam;
constexpr ErrorCode kStoredQueryParamNumber = err::kStoredQueryParamNumber;
// The TF defines no code for a value that cannot be decoded; XDSRegistryError is the
// general one, and the context names the parameter.
constexpr ErrorCode kMalformedValue = err::kRegistryError;

std::vector<ParamSpec> FindDocumentsParams(bool by_reference_id) {
  std::vector<ParamSpec> params = {
      {"$XDSDocumentEntryPatientId", true, Arity::kSingle},
      {"$XDSDocumentEntryClassCode", false, Arity::kList},
      {"$XDSDocumentEntryTypeCode", false, Arity::kList},
      {"$XDSDocumentEntryPracticeSettingCode", false, Arity::kList},
      {"$XDSDocumentEntryCreationTimeFrom", false, Arity::kSingle},
      {"$XDSDocumentEntryCreationTimeTo", false, Arity::kSingle},
      {"$XDSDocumentEntryServiceStartTimeFrom", false, Arity::kSingle},
      {"$XDSDocumentEntryServiceStartTimeTo", false, Arity::kSingle},
      {"$XDSDocumentEntryServiceStopTimeFrom", false, Arity::kSingle},
      {"$XDSDocumentEntryServiceStopTimeTo", false, Arity::kSingle},
      {"$XDSDocumentEntryHealthcareFacilityTypeCode", false, Arity::kList},
      {"$XDSDocumentEntryEventCodeList", false, Arity::kAndOr},
      {"$XDSDocumentEntryConfidentialityCode", false, Arity::kAndOr},
      {"$XDSDocumentEntryAuthorPerson", false, Arity::kList},
      {"$XDSDocumentEntryFormatCode", false, Arity::kList},
      {"$XDSDocumentEntryStatus", true, Arity::kList},
      {"$XDSDocumentEntryType", false, Arity::kList},
  };
  // referenceIdList is multi-valued and footnoted "supports AND/OR" (TF-2 3.18.4.1.2.3.7.14).
  if (by_reference_id) params.push_back({"$XDSDocumentEntryReferenceIdList", true, Arity::kAndOr});
  return params;
}

// Format/confidentiality/type filters of GetAll and the *AndContents queries.
void AddContentFilters(std::vector<ParamSpec>* params) {
  params->push_back({"$XDSDocumentEntryFormatCode", false, Arity::kList});
  params->push_back({"$XDSDocumentEntryConfidentialityCode", false, Arity::kAndOr});
  params->push_back({"$XDSDocumentEntryType", false, Arity::kList});
}

std::vector<QuerySpec> BuildSpecs() {
  std::vector<QuerySpec> specs;
  specs.push_back({vocab::kQueryFindDocuments, "FindDocuments", QueryKind::kFindDocuments, FindDocumentsParams(false)});
  specs.push_back({vocab::kQueryFindDocumentsByReferenceId, "FindDocumentsByReferenceId",
                   QueryKind::kFindDocumentsByReferenceId, FindDocumentsParams(true)});
  specs.push_back({vocab::kQueryFindSubmissionSets,
                   "FindSubmissionSets",
                   QueryKind::kFindSubmissionSets,
                   {{"$XDSSubmissionSetPatientId", true, Arity::kSingle},
                    {"$XDSSubmissionSetSourceId", false, Arity::kList},
                    {"$XDSSubmissionSetSubmissionTimeFrom", false, Arity::kSingle},
                    {"$XDSSubmissionSetSubmissionTimeTo", false, Arity::kSingle},
                    {"$XDSSubmissionSetAuthorPerson", false, Arity::kSingle},
                    {"$XDSSubmissionSetContentType", false, Arity::kList},
                    {"$XDSSubmissionSetStatus", true, Arity::kList}}});
  specs.push_back({vocab::kQueryFindFolders,
                   "FindFolders",
                   QueryKind::kFindFolders,
                   {{"$XDSFolderPatientId", true, Arity::kSingle},
                    {"$XDSFolderLastUpdateTimeFrom", false, Arity::kSingle},
                    {"$XDSFolderLastUpdateTimeTo", false, Arity::kSingle},
                    {"$XDSFolderCodeList", false, Arity::kAndOr},
                    {"$XDSFolderStatus", true, Arity::kList}}});
  QuerySpec get_all{vocab::kQueryGetAll,
                    "GetAll",
                    QueryKind::kGetAll,
                    {{"$patientId", true, Arity::kSingle},
                     {"$XDSDocumentEntryStatus", true, Arity::kList},
                     {"$XDSSubmissionSetStatus", true, Arity::kList},
                     {"$XDSFolderStatus", true, Arity::kList}}};
  AddContentFilters(&get_all.params);
  specs.push_back(std::move(get_all));
  // $XDSDocumentEntryLogicalID / $XDSFolderLogicalID come from the Metadata Update
  // supplement; accepted as a further way to name the objects.
  specs.push_back({vocab::kQueryGetDocuments,
                   "GetDocuments",
                   QueryKind::kGetDocuments,
                   {{"$XDSDocumentEntryEntryUUID", false, Arity::kList},
                    {"$XDSDocumentEntryUniqueId", false, Arity::kList},
                    {"$XDSDocumentEntryLogicalID", false, Arity::kList}},
                   {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}},
                   true});
  specs.push_back({vocab::kQueryGetFolders,
                   "GetFolders",
                   QueryKind::kGetFolders,
                   {{"$XDSFolderEntryUUID", false, Arity::kList},
                    {"$XDSFolderUniqueId", false, Arity::kList},
                    {"$XDSFolderLogicalID", false, Arity::kList}},
                   {{"$XDSFolderEntryUUID", "$XDSFolderUniqueId"}},
                   true});
  specs.push_back(
      {vocab::kQueryGetAssociations, "GetAssociations", QueryKind::kGetAssociations, {{"$uuid", true, Arity::kList}}});
  specs.push_back(
      {vocab::kQueryGetDocumentsAndAssociations,
       "GetDocumentsAndAssociations",
       QueryKind::kGetDocumentsAndAssociations,
       {{"$XDSDocumentEntryEntryUUID", false, Arity::kList}, {"$XDSDocumentEntryUniqueId", false, Arity::kList}},
       {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}},
       true});
  specs.push_back({vocab::kQueryGetSubmissionSets,
                   "GetSubmissionSets",
                   QueryKind::kGetSubmissionSets,
                   {{"$uuid", true, Arity::kList}},
                   {},
                   true});
  QuerySpec ss_contents{
      vocab::kQueryGetSubmissionSetAndContents,
      "GetSubmissionSetAndContents",
      QueryKind::kGetSubmissionSetAndContents,
      {{"$XDSSubmissionSetEntryUUID", false, Arity::kSingle}, {"$XDSSubmissionSetUniqueId", false, Arity::kSingle}},
      {{"$XDSSubmissionSetEntryUUID", "$XDSSubmissionSetUniqueId"}},
      true};
  AddContentFilters(&ss_contents.params);
  specs.push_back(std::move(ss_contents));
  QuerySpec fd_contents{vocab::kQueryGetFolderAndContents,
                        "GetFolderAndContents",
                        QueryKind::kGetFolderAndContents,
                        {{"$XDSFolderEntryUUID", false, Arity::kSingle}, {"$XDSFolderUniqueId", false, Arity::kSingle}},
                        {{"$XDSFolderEntryUUID", "$XDSFolderUniqueId"}},
                        true};
  AddContentFilters(&fd_contents.params);
  specs.push_back(std::move(fd_contents));
  specs.push_back(
      {vocab::kQueryGetFoldersForDocument,
       "GetFoldersForDocument",
       QueryKind::kGetFoldersForDocument,
       {{"$XDSDocumentEntryEntryUUID", false, Arity::kSingle}, {"$XDSDocumentEntryUniqueId", false, Arity::kSingle}},
       {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}}});
  specs.push_back({vocab::kQueryGetRelatedDocuments,
                   "GetRelatedDocuments",
                   QueryKind::kGetRelatedDocuments,
                   {{"$XDSDocumentEntryEntryUUID", false, Arity::kSingle},
                    {"$XDSDocumentEntryUniqueId", false, Arity::kSingle},
                    {"$AssociationTypes", true, Arity::kList},
                    {"$XDSDocumentEntryType", false, Arity::kList}},
                   {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}}});
  return specs;
}

RegistryError ParamError(ErrorCode code, std::string context) { return MakeError(code, std::move(context)); }

// Reads a quoted string starting at v[*i] (an opening ' or "); false when unclosed.
bool ReadQuoted(absl::string_view v, size_t* i, std::string* item) {
  const char quote = v[(*i)++];
  while (*i < v.size()) {
    const char c = v[(*i)++];
    if (c != quote) {
      item->push_back(c);
    } else if (*i < v.size() && v[*i] == quote) {
      item->push_back(quote);  // a doubled quote stands for one quote character
      ++*i;
    } else {
      return true;
    }
  }
  return false;
}

}  // namespace

const std::vector<QuerySpec>& QuerySpecs() {
  static const auto* specs = new std::vector<QuerySpec>(BuildSpecs());
  return *specs;
}

const QuerySpec* FindQuerySpec(absl::string_view query_id) {
  absl::string_view id = absl::StripAsciiWhitespace(query_id);
  for (const QuerySpec& spec : QuerySpecs()) {
    if (id == spec.uuid) return &spec;
  }
  return nullptr;
}

bool DecodeValue(absl::string_view raw, std::vector<std::string>* out) {
  absl::string_view v = absl::StripAsciiWhitespace(raw);
  bool list = false;
  if (!v.empty() && v.front() == '(') {
    if (v.back() != ')') return false;
    list = true;
    v = v.substr(1, v.size() - 2);
  }
  auto skip_space = [&](size_t* i) {
    while (*i < v.size() && absl::ascii_isspace(static_cast<unsigned char>(v[*i]))) ++*i;
  };
  size_t i = 0;
  skip_space(&i);
  if (i == v.size()) return true;  // an empty Value or ()
  std::vector<std::string> items;
  for (;;) {
    skip_space(&i);
    std::string item;
    if (i < v.size() && (v[i] == '\'' || v[i] == '"')) {
      if (!ReadQuoted(v, &i, &item)) return false;
    } else {
      // Unquoted: a number, or a string sent without quotes (some IHE samples do this).
      // Inside a list it ends at the next comma; a lone value takes the whole text.
      size_t end = list ? v.find(',', i) : absl::string_view::npos;
      if (end == absl::string_view::npos) end = v.size();
      item = std::string(absl::StripAsciiWhitespace(v.substr(i, end - i)));
      if (item.empty()) return false;  // ('a',,'b') or a trailing comma
      i = end;
    }
    items.push_back(std::move(item));
    skip_space(&i);
    if (i == v.size()) break;
    if (v[i] != ',') return false;  // text after a closing quote
    ++i;
    skip_space(&i);
    if (i == v.size()) return false;  // trailing comma
  }
  for (std::string& item : items) out->push_back(std::move(item));
  return true;
}

bool ParseCode(const std::string& value, CodeRef* out) {
  std::vector<std::string> parts = absl::StrSplit(value, '^');
  if (parts.size() != 3 || parts[0].empty() || parts[2].empty()) return false;
  *out = {parts[0], parts[2]};
  return true;
}

bool Params::Has(const std::string& name) const {
  auto it = slots_.find(name);
  if (it == slots_.end()) return false;
  for (const auto& slot : it->second) {
    if (!slot.empty()) return true;
  }
  return false;
}

std::vector<std::string> Params::List(const std::string& name) const {
  std::vector<std::string> all;
  auto it = slots_.find(name);
  if (it != slots_.end()) {
    for (const auto& slot : it->second) all.insert(all.end(), slot.begin(), slot.end());
  }
  return all;
}

std::vector<std::vector<std::string>> Params::Groups(const std::string& name) const {
  std::vector<std::vector<std::string>> groups;
  auto it = slots_.find(name);
  if (it != slots_.end()) {
    for (const auto& slot : it->second) {
      if (!slot.empty()) groups.push_back(slot);  // an empty Slot constrains nothing
    }
  }
  return groups;
}

std::string Params::Single(const std::string& name) const {
  std::vector<std::string> values = List(name);
  return values.empty() ? "" : values[0];
}

std::vector<CodeRef> Params::Codes(const std::string& name) {
  std::vector<CodeRef> codes;
  for (const std::string& v : List(name)) {
    CodeRef code;
    if (!ParseCode(v, &code)) {
      errors_.push_back(ParamError(
          kMalformedValue, absl::StrCat("Parameter ", name, ": value '", v, "' is not coded as code^^codingScheme")));
      continue;
    }
    codes.push_back(std::move(code));
  }
  return codes;
}

std::vector<std::vector<CodeRef>> Params::AndOrCodes(const std::string& name) {
  std::vector<std::vector<CodeRef>> groups;
  for (const std::vector<std::string>& slot : Groups(name)) {
    std::vector<CodeRef>& group = groups.emplace_back();
    for (const std::string& v : slot) {
      CodeRef code;
      if (!ParseCode(v, &code)) {
        errors_.push_back(ParamError(
            kMalformedValue, absl::StrCat("Parameter ", name, ": value '", v, "' is not coded as code^^codingScheme")));
        continue;
      }
      group.push_back(std::move(code));
    }
  }
  return groups;
}

std::vector<AvailabilityStatus> Params::Statuses(const std::string& name) {
  std::vector<AvailabilityStatus> statuses;
  for (const std::string& v : List(name)) {
    if (v == vocab::kStatusApproved) statuses.push_back(APPROVED);
    if (v == vocab::kStatusDeprecated) statuses.push_back(DEPRECATED);
  }
  if (statuses.empty() && Has(name)) {
    errors_.push_back(ParamError(kStoredQueryMissingParam,
                                 absl::StrCat("Required parameter ", name,
                                              " is missing: none of its values is a status this registry knows "
                                              "(urn:oasis:names:tc:ebxml-regrep:StatusType:Approved or :Deprecated)")));
  }
  return statuses;
}

std::vector<DocumentEntryType> Params::Types() {
  std::vector<DocumentEntryType> types;
  for (const std::string& v : List("$XDSDocumentEntryType")) {
    if (v == vocab::kDocumentEntryStable) types.push_back(STABLE);
    if (v == vocab::kDocumentEntryOnDemand) types.push_back(ON_DEMAND);
  }
  if (types.empty()) types.push_back(STABLE);  // the default (TF-2 3.18.4.1.2.3.6.2)
  return types;
}

std::string Params::Time(const std::string& name) {
  if (!Has(name)) return "";
  std::string v = Single(name);
  std::string normalized = NormalizeDtm(v);
  if (normalized.empty()) {
    errors_.push_back(ParamError(
        kMalformedValue, absl::StrCat("Parameter ", name, ": '", v, "' is not a DTM (YYYY[MM[DD[hh[mm[ss]]]]], UTC)")));
  }
  return normalized;
}

Params DecodeParams(const StoredQueryRequest& request, const QuerySpec& spec) {
  Params p;
  std::map<std::string, bool> reported;  // one XDSStoredQueryParamNumber per parameter
  std::set<std::string> malformed;       // already reported: not also "missing"
  for (const QueryParameter& qp : request.parameters()) {
    // A linear search: a query has at most ~25 parameters, and a map built per request cost
    // more than the search.
    auto it =
        std::find_if(spec.params.begin(), spec.params.end(), [&](const ParamSpec& ps) { return ps.name == qp.name(); });
    if (it == spec.params.end()) continue;  // parameters of other queries or options are ignored
    const ParamSpec& ps = *it;
    std::vector<std::string> values;
    for (const std::string& raw : qp.values()) {
      if (!DecodeValue(raw, &values)) {
        malformed.insert(qp.name());
        p.errors_.push_back(
            ParamError(kMalformedValue, absl::StrCat("Parameter ", qp.name(), ": malformed value '", raw,
                                                     "' (strings are quoted 'text', lists are "
                                                     "('a','b'))")));
      }
    }
    std::vector<std::vector<std::string>>& slots = p.slots_[qp.name()];
    slots.push_back(std::move(values));
    std::string problem;
    if (ps.arity != Arity::kAndOr && slots.size() > 1) {
      problem = absl::StrCat("Parameter ", qp.name(),
                             " may be given in one Slot only (AND semantics apply only to "
                             "$XDSDocumentEntryEventCodeList, "
                             "$XDSDocumentEntryConfidentialityCode and $XDSFolderCodeList)");
    } else if (ps.arity == Arity::kSingle && slots.back().size() > 1) {
      problem = absl::StrCat("Parameter ", qp.name(), " takes a single value; ", slots.back().size(), " were given");
    }
    if (!problem.empty() && !reported[qp.name()]) {
      reported[qp.name()] = true;
      p.errors_.push_back(ParamError(kStoredQueryParamNumber, std::move(problem)));
    }
  }
  for (const ParamSpec& ps : spec.params) {
    if (ps.required && !p.Has(ps.name) && !malformed.count(ps.name)) {
      p.errors_.push_back(ParamError(kStoredQueryMissingParam,
                                     absl::StrCat("Required parameter ", ps.name, " of ", spec.name, " is missing")));
    }
  }
  for (const auto& [a, b] : spec.either_or) {
    const std::string first = a, second = b;
    if (p.Has(first) && p.Has(second)) {
      p.errors_.push_back(
          ParamError(kStoredQueryParamNumber, absl::StrCat(spec.name, " takes ", first, " or ", second, ", not both")));
    } else if (!p.Has(first) && !p.Has(second) && !p.Has("$XDSDocumentEntryLogicalID") &&
               !p.Has("$XDSFolderLogicalID") && !malformed.count(first) && !malformed.count(second)) {
      p.errors_.push_back(
          ParamError(kStoredQueryMissingParam, absl::StrCat(spec.name, " requires parameter ", first, " or ", second)));
    }
  }
  return p;
}

}  // namespace xds::iti18
