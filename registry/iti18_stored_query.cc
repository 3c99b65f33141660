// ITI-18 Registry Stored Query (ITI TF-2 3.18.4.1): parameter decoding and the stored
// queries, answered from the store's indexed lookups.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "registry/ebrim/codec.h"
#include "registry/ebrim/vocabulary.h"
#include "registry/registry.h"

namespace xds {
namespace {

// How a parameter may be given (TF-2 3.18.4.1.2.4 tables).
enum class Arity { kSingle, kList, kAndOr };
struct ParamSpec {
  const char* name;
  bool required;
  Arity arity;
};
struct QuerySpec {
  const char* uuid;
  const char* name;
  std::vector<ParamSpec> params;
  std::vector<std::pair<const char*, const char*>> either_or;  // exactly one of the pair
};

const std::vector<QuerySpec>& Queries() {
  static const auto* queries = new std::vector<QuerySpec>{
      {"urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d", "FindDocuments",
       {{"$XDSDocumentEntryPatientId", true, Arity::kSingle},
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
        {"$XDSDocumentEntryType", false, Arity::kList}},
       {}},
      {"urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492", "FindDocumentsByReferenceId",
       {{"$XDSDocumentEntryPatientId", true, Arity::kSingle},
        {"$XDSDocumentEntryReferenceIdList", true, Arity::kList},
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
        {"$XDSDocumentEntryType", false, Arity::kList}},
       {}},
      {"urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9", "FindSubmissionSets",
       {{"$XDSSubmissionSetPatientId", true, Arity::kSingle},
        {"$XDSSubmissionSetSourceId", false, Arity::kList},
        {"$XDSSubmissionSetSubmissionTimeFrom", false, Arity::kSingle},
        {"$XDSSubmissionSetSubmissionTimeTo", false, Arity::kSingle},
        {"$XDSSubmissionSetAuthorPerson", false, Arity::kSingle},
        {"$XDSSubmissionSetContentType", false, Arity::kList},
        {"$XDSSubmissionSetStatus", true, Arity::kList}},
       {}},
      {"urn:uuid:958f3006-baad-4929-a4de-ff1114824431", "FindFolders",
       {{"$XDSFolderPatientId", true, Arity::kSingle},
        {"$XDSFolderLastUpdateTimeFrom", false, Arity::kSingle},
        {"$XDSFolderLastUpdateTimeTo", false, Arity::kSingle},
        {"$XDSFolderCodeList", false, Arity::kAndOr},
        {"$XDSFolderStatus", true, Arity::kList}},
       {}},
      {"urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3", "GetAll",
       {{"$patientId", true, Arity::kSingle},
        {"$XDSDocumentEntryStatus", true, Arity::kList},
        {"$XDSSubmissionSetStatus", true, Arity::kList},
        {"$XDSFolderStatus", true, Arity::kList},
        {"$XDSDocumentEntryFormatCode", false, Arity::kList},
        {"$XDSDocumentEntryConfidentialityCode", false, Arity::kAndOr},
        {"$XDSDocumentEntryType", false, Arity::kList}},
       {}},
      {"urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4", "GetDocuments",
       {{"$XDSDocumentEntryEntryUUID", false, Arity::kList},
        {"$XDSDocumentEntryUniqueId", false, Arity::kList},
        {"$XDSDocumentEntryLogicalID", false, Arity::kList}},
       {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}}},
      {"urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4", "GetFolders",
       {{"$XDSFolderEntryUUID", false, Arity::kList},
        {"$XDSFolderUniqueId", false, Arity::kList},
        {"$XDSFolderLogicalID", false, Arity::kList}},
       {{"$XDSFolderEntryUUID", "$XDSFolderUniqueId"}}},
      {"urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155", "GetAssociations",
       {{"$uuid", true, Arity::kList}},
       {}},
      {"urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a", "GetDocumentsAndAssociations",
       {{"$XDSDocumentEntryEntryUUID", false, Arity::kList},
        {"$XDSDocumentEntryUniqueId", false, Arity::kList}},
       {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}}},
      {"urn:uuid:51224314-5390-4169-9b91-b1980040715a", "GetSubmissionSets",
       {{"$uuid", true, Arity::kList}},
       {}},
      {"urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83", "GetSubmissionSetAndContents",
       {{"$XDSSubmissionSetEntryUUID", false, Arity::kSingle},
        {"$XDSSubmissionSetUniqueId", false, Arity::kSingle},
        {"$XDSDocumentEntryFormatCode", false, Arity::kList},
        {"$XDSDocumentEntryConfidentialityCode", false, Arity::kAndOr},
        {"$XDSDocumentEntryType", false, Arity::kList}},
       {{"$XDSSubmissionSetEntryUUID", "$XDSSubmissionSetUniqueId"}}},
      {"urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7", "GetFolderAndContents",
       {{"$XDSFolderEntryUUID", false, Arity::kSingle},
        {"$XDSFolderUniqueId", false, Arity::kSingle},
        {"$XDSDocumentEntryFormatCode", false, Arity::kList},
        {"$XDSDocumentEntryConfidentialityCode", false, Arity::kAndOr},
        {"$XDSDocumentEntryType", false, Arity::kList}},
       {{"$XDSFolderEntryUUID", "$XDSFolderUniqueId"}}},
      {"urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578", "GetFoldersForDocument",
       {{"$XDSDocumentEntryEntryUUID", false, Arity::kSingle},
        {"$XDSDocumentEntryUniqueId", false, Arity::kSingle}},
       {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}}},
      {"urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6", "GetRelatedDocuments",
       {{"$XDSDocumentEntryEntryUUID", false, Arity::kSingle},
        {"$XDSDocumentEntryUniqueId", false, Arity::kSingle},
        {"$AssociationTypes", true, Arity::kList},
        {"$XDSDocumentEntryType", false, Arity::kList}},
       {{"$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"}}},
  };
  return *queries;
}

// Decodes one rim:Value in the TF's coding: 'text' (quote doubled inside), a number, or a
// list ('a','b'). Returns false on a malformed value.
bool DecodeValue(absl::string_view raw, std::vector<std::string>* out, bool* was_list) {
  absl::string_view v = absl::StripAsciiWhitespace(raw);
  *was_list = false;
  if (!v.empty() && v.front() == '(') {
    if (v.back() != ')') return false;
    *was_list = true;
    v = v.substr(1, v.size() - 2);
  }
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && absl::ascii_isspace(v[i])) ++i;
    if (i >= v.size()) break;
    std::string item;
    if (v[i] == '\'' || v[i] == '"') {
      char q = v[i++];
      bool closed = false;
      while (i < v.size()) {
        if (v[i] == q) {
          if (i + 1 < v.size() && v[i + 1] == q) {
            item += q;
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        item += v[i++];
      }
      if (!closed) return false;
    } else {
      size_t end = v.find(',', i);
      if (end == absl::string_view::npos) end = v.size();
      item = std::string(absl::StripAsciiWhitespace(v.substr(i, end - i)));
      i = end;
    }
    out->push_back(std::move(item));
    while (i < v.size() && absl::ascii_isspace(v[i])) ++i;
    if (i < v.size()) {
      if (v[i] != ',' || !*was_list) return false;
      ++i;
    }
  }
  return true;
}

class Params {
 public:
  // slot name -> one entry per Slot, each the decoded values of all its rim:Value elements.
  std::map<std::string, std::vector<std::vector<std::string>>> slots;
  std::vector<RegistryError> errors;

  bool Has(const std::string& name) const { return slots.count(name) > 0; }
  std::vector<std::string> List(const std::string& name) const {
    std::vector<std::string> all;
    auto it = slots.find(name);
    if (it != slots.end())
      for (const auto& slot : it->second) all.insert(all.end(), slot.begin(), slot.end());
    return all;
  }
  std::string Single(const std::string& name) const {
    auto values = List(name);
    return values.empty() ? "" : values[0];
  }
};

RegistryError QueryError(std::string code, std::string context) { return MakeError(std::move(code), std::move(context)); }

std::vector<CodeRef> Codes(const Params& p, const std::string& name, std::vector<RegistryError>* errors) {
  std::vector<CodeRef> codes;
  for (const std::string& v : p.List(name)) {
    std::vector<std::string> parts = absl::StrSplit(v, "^^");
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      errors->push_back(QueryError("XDSRegistryError",
                                   absl::StrCat("Parameter ", name, ": value '", v, "' is not coded as code^^scheme")));
      continue;
    }
    codes.push_back({parts[0], parts[1]});
  }
  return codes;
}

std::vector<std::vector<CodeRef>> AndOrCodes(const Params& p, const std::string& name,
                                             std::vector<RegistryError>* errors) {
  std::vector<std::vector<CodeRef>> groups;
  auto it = p.slots.find(name);
  if (it == p.slots.end()) return groups;
  for (const auto& slot : it->second) {
    Params one;
    one.slots[name] = {slot};
    groups.push_back(Codes(one, name, errors));
  }
  return groups;
}

// Status parameters: unknown values are ignored; when none is understood the parameter
// counts as missing (TF-2 3.18.4.1.2.3.6).
std::vector<AvailabilityStatus> Statuses(const Params& p, const std::string& name, std::vector<RegistryError>* errors) {
  std::vector<AvailabilityStatus> statuses;
  for (const std::string& v : p.List(name)) {
    if (v == vocab::kStatusApproved) statuses.push_back(APPROVED);
    if (v == vocab::kStatusDeprecated) statuses.push_back(DEPRECATED);
  }
  if (statuses.empty() && p.Has(name)) {
    errors->push_back(QueryError("XDSStoredQueryMissingParam",
                                 absl::StrCat("Parameter ", name, " has no status value this registry understands")));
  }
  return statuses;
}

std::vector<DocumentEntryType> Types(const Params& p) {
  std::vector<DocumentEntryType> types;
  for (const std::string& v : p.List("$XDSDocumentEntryType")) {
    if (v == vocab::kDocumentEntryStable) types.push_back(STABLE);
    if (v == vocab::kDocumentEntryOnDemand) types.push_back(ON_DEMAND);
  }
  if (types.empty()) types.push_back(STABLE);  // the default when absent (TF-2 3.18.4.1.2.3.6.2)
  return types;
}

std::string Time(const Params& p, const std::string& name, std::vector<RegistryError>* errors) {
  if (!p.Has(name)) return "";
  std::string v = p.Single(name);
  std::string normalized = NormalizeDtm(v);
  if (normalized.empty()) {
    errors->push_back(QueryError("XDSRegistryError",
                                 absl::StrCat("Parameter ", name, ": '", v, "' is not a DTM (YYYY[MM[DD[hh[mm[ss]]]]])")));
  }
  return normalized;
}

// Decodes and checks the parameters of `spec` (TF-2 3.18.4.1.3: missing, number of values).
Params DecodeParams(const StoredQueryRequest& request, const QuerySpec& spec) {
  Params p;
  std::map<std::string, const ParamSpec*> known;
  for (const auto& ps : spec.params) known[ps.name] = &ps;
  for (const auto& qp : request.parameters()) {
    auto it = known.find(qp.name());
    if (it == known.end()) continue;  // parameters of other queries or options are ignored
    std::vector<std::string> values;
    bool any_list = false;
    for (const std::string& raw : qp.values()) {
      bool was_list = false;
      if (!DecodeValue(raw, &values, &was_list)) {
        p.errors.push_back(QueryError("XDSRegistryError",
                                      absl::StrCat("Parameter ", qp.name(), ": malformed value '", raw,
                                                   "' (strings are quoted, lists are ('a','b'))")));
      }
      any_list |= was_list;
    }
    const ParamSpec& ps = *it->second;
    auto& slots = p.slots[qp.name()];
    slots.push_back(std::move(values));
    bool repeated = slots.size() > 1 && ps.arity != Arity::kAndOr;
    if (ps.arity == Arity::kSingle && (slots.back().size() > 1 || any_list || repeated)) {
      p.errors.push_back(QueryError("XDSStoredQueryParamNumber",
                                    absl::StrCat("Parameter ", qp.name(), " takes a single value")));
    } else if (repeated) {
      p.errors.push_back(QueryError("XDSStoredQueryParamNumber",
                                    absl::StrCat("Parameter ", qp.name(), " may appear only once")));
    }
  }
  for (const auto& ps : spec.params) {
    if (ps.required && !p.Has(ps.name)) {
      p.errors.push_back(QueryError("XDSStoredQueryMissingParam",
                                    absl::StrCat(spec.name, " requires parameter ", ps.name)));
    }
  }
  for (const auto& [a, b] : spec.either_or) {
    if (p.Has(a) && p.Has(b)) {
      p.errors.push_back(QueryError("XDSStoredQueryParamNumber",
                                    absl::StrCat(spec.name, " takes ", a, " or ", b, ", not both")));
    } else if (!p.Has(a) && !p.Has(b) &&
               !(std::string(a) == "$XDSDocumentEntryEntryUUID" && p.Has("$XDSDocumentEntryLogicalID")) &&
               !(std::string(a) == "$XDSFolderEntryUUID" && p.Has("$XDSFolderLogicalID"))) {
      p.errors.push_back(QueryError("XDSStoredQueryMissingParam",
                                    absl::StrCat(spec.name, " requires ", a, " or ", b)));
    }
  }
  return p;
}

// Collects the answer, de-duplicating objects reached by several paths.
class Answer {
 public:
  void Add(DocumentEntry de) {
    if (seen_.insert(de.header().entry_uuid()).second) *response.add_document_entries() = std::move(de);
  }
  void Add(SubmissionSet ss) {
    if (seen_.insert(ss.header().entry_uuid()).second) *response.add_submission_sets() = std::move(ss);
  }
  void Add(Folder fd) {
    if (seen_.insert(fd.header().entry_uuid()).second) *response.add_folders() = std::move(fd);
  }
  void Add(Association as) {
    if (seen_.insert(as.header().entry_uuid()).second) *response.add_associations() = std::move(as);
  }
  bool Contains(const std::string& uuid) const { return seen_.count(uuid) > 0; }
  StoredQueryResponse response;

 private:
  std::set<std::string> seen_;
};

}  // namespace

StoredQueryResponse Registry::StoredQuery(const StoredQueryRequest& request) {
  StoredQueryResponse out;
  auto fail = [&](std::vector<RegistryError> errors) {
    StoredQueryResponse failure;
    *failure.mutable_response() = FailureResponse(std::move(errors));
    return failure;
  };
  std::string query_id = std::string(absl::StripAsciiWhitespace(request.query_id()));
  const QuerySpec* spec = nullptr;
  for (const auto& q : Queries()) {
    if (query_id == q.uuid) spec = &q;
  }
  if (!spec) {
    return fail({QueryError("XDSUnknownStoredQuery", absl::StrCat("Unknown stored query id '", query_id, "'"))});
  }
  Params p = DecodeParams(request, *spec);
  std::vector<RegistryError>& errors = p.errors;
  const std::string name = spec->name;
  const bool leaf = request.return_type() == LEAF_CLASS;
  const size_t cap = leaf ? options_.max_leaf_class_results : options_.max_object_ref_results;

  DocumentEntryFilter de_filter;
  de_filter.limit = cap;
  auto fill_document_filters = [&]() {
    de_filter.format_codes = Codes(p, "$XDSDocumentEntryFormatCode", &errors);
    de_filter.confidentiality_codes_all = AndOrCodes(p, "$XDSDocumentEntryConfidentialityCode", &errors);
    de_filter.types = Types(p);
  };
  if (errors.empty() && (name == "FindDocuments" || name == "FindDocumentsByReferenceId")) {
    de_filter.patient_ids = {p.Single("$XDSDocumentEntryPatientId")};
    de_filter.statuses = Statuses(p, "$XDSDocumentEntryStatus", &errors);
    de_filter.class_codes = Codes(p, "$XDSDocumentEntryClassCode", &errors);
    de_filter.type_codes = Codes(p, "$XDSDocumentEntryTypeCode", &errors);
    de_filter.practice_setting_codes = Codes(p, "$XDSDocumentEntryPracticeSettingCode", &errors);
    de_filter.healthcare_facility_type_codes = Codes(p, "$XDSDocumentEntryHealthcareFacilityTypeCode", &errors);
    de_filter.event_codes_all = AndOrCodes(p, "$XDSDocumentEntryEventCodeList", &errors);
    de_filter.author_person_patterns = p.List("$XDSDocumentEntryAuthorPerson");
    de_filter.creation_from = Time(p, "$XDSDocumentEntryCreationTimeFrom", &errors);
    de_filter.creation_to = Time(p, "$XDSDocumentEntryCreationTimeTo", &errors);
    de_filter.service_start_from = Time(p, "$XDSDocumentEntryServiceStartTimeFrom", &errors);
    de_filter.service_start_to = Time(p, "$XDSDocumentEntryServiceStartTimeTo", &errors);
    de_filter.service_stop_from = Time(p, "$XDSDocumentEntryServiceStopTimeFrom", &errors);
    de_filter.service_stop_to = Time(p, "$XDSDocumentEntryServiceStopTimeTo", &errors);
    de_filter.reference_ids = p.List("$XDSDocumentEntryReferenceIdList");
    fill_document_filters();
  }
  if (!errors.empty()) return fail(std::move(errors));

  Answer answer;
  bool too_many = false;
  bool store_failed = false;
  auto docs = [&](const DocumentEntryFilter& f) {
    auto r = store_->FindDocumentEntries(f);
    if (!r.ok()) {
      store_failed = true;
      return;
    }
    if (f.limit && r->size() > f.limit) too_many = true;
    for (auto& de : *r) answer.Add(std::move(de));
  };
  auto packages_ss = [&](const PackageFilter& f) {
    auto r = store_->FindSubmissionSets(f);
    if (!r.ok()) {
      store_failed = true;
      return;
    }
    if (f.limit && r->size() > f.limit) too_many = true;
    for (auto& ss : *r) answer.Add(std::move(ss));
  };
  auto packages_fd = [&](const PackageFilter& f) {
    auto r = store_->FindFolders(f);
    if (!r.ok()) {
      store_failed = true;
      return;
    }
    if (f.limit && r->size() > f.limit) too_many = true;
    for (auto& fd : *r) answer.Add(std::move(fd));
  };
  auto associations = [&](const std::vector<std::string>& uuids, const std::vector<std::string>& types) {
    std::vector<Association> result;
    if (uuids.empty()) return result;
    auto r = store_->FindAssociations(uuids, types);
    if (!r.ok()) {
      store_failed = true;
      return result;
    }
    return *r;
  };
  auto ids_of_answer = [&]() {
    std::vector<std::string> ids;
    for (const auto& de : answer.response.document_entries()) ids.push_back(de.header().entry_uuid());
    for (const auto& ss : answer.response.submission_sets()) ids.push_back(ss.header().entry_uuid());
    for (const auto& fd : answer.response.folders()) ids.push_back(fd.header().entry_uuid());
    return ids;
  };
  auto by_uuid_or_unique_id = [&](const std::string& uuid_param, const std::string& uid_param) {
    DocumentEntryFilter f;
    f.limit = cap;
    f.entry_uuids = p.List(uuid_param);
    f.unique_ids = p.List(uid_param);
    return f;
  };
  // Adds the members of a SubmissionSet or Folder reached by HasMember, filtered by
  // format/confidentiality/type, with the HasMember associations to them.
  auto contents = [&](const std::string& package_uuid) {
    auto members = associations({package_uuid}, {vocab::kHasMember});
    std::vector<std::string> doc_ids, folder_ids;
    for (const auto& as : members) {
      if (as.source() == package_uuid) doc_ids.push_back(as.target());
    }
    if (!doc_ids.empty()) {
      DocumentEntryFilter f = de_filter;
      f.entry_uuids = doc_ids;
      docs(f);
      PackageFilter ff;
      ff.entry_uuids = doc_ids;
      packages_fd(ff);
    }
    for (auto& as : members) {
      if (as.source() == package_uuid && answer.Contains(as.target())) answer.Add(as);
    }
    // Associations that are members of the package (e.g. Folder-DocumentEntry HasMember
    // recorded by this SubmissionSet), when both their ends are in the answer.
    std::vector<std::string> assoc_ids;
    for (const auto& as : members) {
      if (as.source() == package_uuid && !answer.Contains(as.target())) assoc_ids.push_back(as.target());
    }
    if (!assoc_ids.empty()) {
      auto infos = store_->FindObjects(assoc_ids);
      std::set<std::string> is_assoc;
      if (infos.ok())
        for (auto& i : *infos)
          if (i.kind == ObjectKind::kAssociation) is_assoc.insert(i.entry_uuid);
      auto inner = associations(ids_of_answer(), {vocab::kHasMember});
      for (auto& as : inner) {
        if (is_assoc.count(as.header().entry_uuid()) && answer.Contains(as.source()) && answer.Contains(as.target())) {
          answer.Add(as);
          for (auto& outer : members)
            if (outer.target() == as.header().entry_uuid()) answer.Add(outer);
        }
      }
    }
  };

  if (name == "FindDocuments" || name == "FindDocumentsByReferenceId") {
    docs(de_filter);
  } else if (name == "FindSubmissionSets") {
    PackageFilter f;
    f.limit = cap;
    f.patient_ids = {p.Single("$XDSSubmissionSetPatientId")};
    f.statuses = Statuses(p, "$XDSSubmissionSetStatus", &errors);
    f.source_ids = p.List("$XDSSubmissionSetSourceId");
    f.time_from = Time(p, "$XDSSubmissionSetSubmissionTimeFrom", &errors);
    f.time_to = Time(p, "$XDSSubmissionSetSubmissionTimeTo", &errors);
    if (p.Has("$XDSSubmissionSetAuthorPerson")) f.author_person_patterns = {p.Single("$XDSSubmissionSetAuthorPerson")};
    f.content_type_codes = Codes(p, "$XDSSubmissionSetContentType", &errors);
    if (errors.empty()) packages_ss(f);
  } else if (name == "FindFolders") {
    PackageFilter f;
    f.limit = cap;
    f.patient_ids = {p.Single("$XDSFolderPatientId")};
    f.statuses = Statuses(p, "$XDSFolderStatus", &errors);
    f.time_from = Time(p, "$XDSFolderLastUpdateTimeFrom", &errors);
    f.time_to = Time(p, "$XDSFolderLastUpdateTimeTo", &errors);
    f.folder_codes_all = AndOrCodes(p, "$XDSFolderCodeList", &errors);
    if (errors.empty()) packages_fd(f);
  } else if (name == "GetAll") {
    std::string pid = p.Single("$patientId");
    fill_document_filters();
    de_filter.patient_ids = {pid};
    de_filter.statuses = Statuses(p, "$XDSDocumentEntryStatus", &errors);
    PackageFilter ss, fd;
    ss.limit = fd.limit = cap;
    ss.patient_ids = fd.patient_ids = {pid};
    ss.statuses = Statuses(p, "$XDSSubmissionSetStatus", &errors);
    fd.statuses = Statuses(p, "$XDSFolderStatus", &errors);
    if (errors.empty()) {
      docs(de_filter);
      packages_ss(ss);
      packages_fd(fd);
      for (auto& as : associations(ids_of_answer(), {})) answer.Add(as);
    }
  } else if (name == "GetDocuments") {
    DocumentEntryFilter f = by_uuid_or_unique_id("$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId");
    f.logical_ids = p.List("$XDSDocumentEntryLogicalID");
    docs(f);
  } else if (name == "GetFolders") {
    PackageFilter f;
    f.limit = cap;
    f.entry_uuids = p.List("$XDSFolderEntryUUID");
    f.unique_ids = p.List("$XDSFolderUniqueId");
    packages_fd(f);
  } else if (name == "GetAssociations") {
    for (auto& as : associations(p.List("$uuid"), {})) answer.Add(as);
  } else if (name == "GetDocumentsAndAssociations") {
    docs(by_uuid_or_unique_id("$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"));
    for (auto& as : associations(ids_of_answer(), {})) answer.Add(as);
  } else if (name == "GetSubmissionSets") {
    auto members = associations(p.List("$uuid"), {vocab::kHasMember});
    std::vector<std::string> sources;
    for (const auto& as : members) sources.push_back(as.source());
    if (!sources.empty()) {
      PackageFilter f;
      f.limit = cap;
      f.entry_uuids = sources;
      packages_ss(f);
    }
    std::set<std::string> wanted;
    for (const auto& u : p.List("$uuid")) wanted.insert(u);
    for (auto& as : members) {
      if (answer.Contains(as.source()) && wanted.count(as.target())) answer.Add(as);
    }
  } else if (name == "GetSubmissionSetAndContents" || name == "GetFolderAndContents") {
    bool is_ss = name == "GetSubmissionSetAndContents";
    fill_document_filters();
    PackageFilter f;
    f.entry_uuids = p.List(is_ss ? "$XDSSubmissionSetEntryUUID" : "$XDSFolderEntryUUID");
    f.unique_ids = p.List(is_ss ? "$XDSSubmissionSetUniqueId" : "$XDSFolderUniqueId");
    if (is_ss) packages_ss(f); else packages_fd(f);
    std::string package_uuid;
    if (is_ss && answer.response.submission_sets_size()) package_uuid = answer.response.submission_sets(0).header().entry_uuid();
    if (!is_ss && answer.response.folders_size()) package_uuid = answer.response.folders(0).header().entry_uuid();
    if (!package_uuid.empty()) contents(package_uuid);
  } else if (name == "GetFoldersForDocument") {
    docs(by_uuid_or_unique_id("$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"));
    std::vector<std::string> doc_ids = ids_of_answer();
    Answer folders;
    std::vector<std::string> sources;
    for (const auto& as : associations(doc_ids, {vocab::kHasMember})) sources.push_back(as.source());
    answer = Answer();
    if (!sources.empty()) {
      PackageFilter f;
      f.limit = cap;
      f.entry_uuids = sources;
      packages_fd(f);
    }
  } else if (name == "GetRelatedDocuments") {
    docs(by_uuid_or_unique_id("$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"));
    std::vector<std::string> types;
    for (const auto& t : p.List("$AssociationTypes")) types.push_back(ebrim::NormalizeAssociationType(t));
    std::vector<std::string> doc_ids = ids_of_answer();
    auto related = associations(doc_ids, types);
    std::vector<std::string> others;
    for (const auto& as : related) {
      for (const std::string& end : {as.source(), as.target()})
        if (std::find(doc_ids.begin(), doc_ids.end(), end) == doc_ids.end()) others.push_back(end);
    }
    Answer result;
    if (!related.empty()) {
      for (auto& de : *answer.response.mutable_document_entries()) result.Add(de);
      DocumentEntryFilter f;
      f.entry_uuids = others;
      f.types = Types(p);
      if (!others.empty()) {
        auto r = store_->FindDocumentEntries(f);
        if (r.ok())
          for (auto& de : *r) result.Add(de);
        else
          store_failed = true;
      }
      for (auto& as : related)
        if (result.Contains(as.source()) && result.Contains(as.target())) result.Add(as);
    }
    answer = std::move(result);
  }
  if (!errors.empty()) return fail(std::move(errors));
  if (store_failed) return fail({QueryError("XDSRegistryError", "The registry could not read its store; retry later")});
  if (too_many) {
    return fail({QueryError("XDSTooManyResults",
                            absl::StrCat("The query matches more than ", cap, " objects; narrow it down"))});
  }

  out = std::move(answer.response);
  if (leaf && name.rfind("Get", 0) == 0 && name != "GetAssociations" && name != "GetRelatedDocuments" &&
      name != "GetFoldersForDocument") {
    std::set<std::string> patients;
    for (const auto& de : out.document_entries()) patients.insert(de.patient_id());
    for (const auto& ss : out.submission_sets()) patients.insert(ss.patient_id());
    for (const auto& fd : out.folders()) patients.insert(fd.patient_id());
    if (patients.size() > 1) {
      return fail({QueryError("XDSResultNotSinglePatient",
                              "The objects requested belong to more than one patient; a LeafClass answer would "
                              "disclose several patients' metadata")});
    }
  }
  if (!options_.home_community_id.empty()) {
    for (auto& de : *out.mutable_document_entries()) de.mutable_header()->set_home(options_.home_community_id);
    for (auto& ss : *out.mutable_submission_sets()) ss.mutable_header()->set_home(options_.home_community_id);
    for (auto& fd : *out.mutable_folders()) fd.mutable_header()->set_home(options_.home_community_id);
  }
  if (!leaf) {
    StoredQueryResponse refs;
    for (const auto& de : out.document_entries()) refs.add_object_refs(de.header().entry_uuid());
    for (const auto& ss : out.submission_sets()) refs.add_object_refs(ss.header().entry_uuid());
    for (const auto& fd : out.folders()) refs.add_object_refs(fd.header().entry_uuid());
    for (const auto& as : out.associations()) refs.add_object_refs(as.header().entry_uuid());
    out = std::move(refs);
  }
  out.mutable_response()->set_status(SUCCESS);
  return out;
}

}  // namespace xds
