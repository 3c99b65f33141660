#include "tools/xdsctl/queries.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/validation/metadata_validator.h"

namespace xds::ctl {
namespace {

void Add(StoredQueryRequest& r, const std::string& name, const std::string& value) {
  QueryParameter* p = r.add_parameters();
  p->set_name(name);
  p->add_values(value);
}

StoredQueryRequest Base(const char* query_id, bool object_refs) {
  StoredQueryRequest r;
  r.set_query_id(query_id);
  r.set_return_type(object_refs ? OBJECT_REF : LEAF_CLASS);
  return r;
}

absl::Status CheckCodes(const std::vector<std::string>& codes, const char* flag) {
  for (const auto& c : codes) {
    size_t sep = c.find("^^");
    if (sep == std::string::npos || sep == 0 || sep + 2 >= c.size()) {
      return absl::InvalidArgumentError(std::string(flag) +
                                        " wants CODE^^CODINGSCHEME, e.g. 'DISCHARGE^^2.999.100.1'; got '" + c + "'");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDtm(const std::string& v, const char* flag) {
  if (v.empty() || IsDtm(v)) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(flag) + " wants a time YYYY[MM[DD[hh[mm[ss]]]]] (UTC); got '" + v +
                                    "'");
}

}  // namespace

absl::StatusOr<std::vector<std::string>> StatusUrns(const std::string& status) {
  std::string s = absl::AsciiStrToLower(status);
  if (s == "approved") return std::vector<std::string>{vocab::kStatusApproved};
  if (s == "deprecated") return std::vector<std::string>{vocab::kStatusDeprecated};
  if (s == "all") return std::vector<std::string>{vocab::kStatusApproved, vocab::kStatusDeprecated};
  return absl::InvalidArgumentError("--status must be approved, deprecated or all; got '" + status + "'");
}

std::string Quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string QuotedList(const std::vector<std::string>& values) {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + Quoted(values[i]);
  return out + ")";
}

bool IsEntryUuid(const std::string& id) { return absl::StartsWithIgnoreCase(id, "urn:uuid:"); }

absl::StatusOr<StoredQueryRequest> FindDocumentsQuery(const FindDocumentsOptions& o) {
  if (o.patient_id.empty()) return absl::InvalidArgumentError("find needs --patient 'ID^^^&OID&ISO'");
  auto statuses = StatusUrns(o.status);
  if (!statuses.ok()) return statuses.status();
  for (auto [codes, flag] : {std::pair{&o.class_codes, "--class"}, std::pair{&o.type_codes, "--type"},
                             std::pair{&o.practice_codes, "--practice"}}) {
    if (auto s = CheckCodes(*codes, flag); !s.ok()) return s;
  }
  for (auto [v, flag] : {std::pair{&o.created_from, "--created-from"}, std::pair{&o.created_to, "--created-to"},
                         std::pair{&o.service_from, "--service-from"}, std::pair{&o.service_to, "--service-to"}}) {
    if (auto s = CheckDtm(*v, flag); !s.ok()) return s;
  }
  StoredQueryRequest r = Base(vocab::kQueryFindDocuments, o.object_refs);
  Add(r, "$XDSDocumentEntryPatientId", Quoted(o.patient_id));
  Add(r, "$XDSDocumentEntryStatus", QuotedList(*statuses));
  if (!o.class_codes.empty()) Add(r, "$XDSDocumentEntryClassCode", QuotedList(o.class_codes));
  if (!o.type_codes.empty()) Add(r, "$XDSDocumentEntryTypeCode", QuotedList(o.type_codes));
  if (!o.practice_codes.empty()) Add(r, "$XDSDocumentEntryPracticeSettingCode", QuotedList(o.practice_codes));
  if (!o.created_from.empty()) Add(r, "$XDSDocumentEntryCreationTimeFrom", o.created_from);
  if (!o.created_to.empty()) Add(r, "$XDSDocumentEntryCreationTimeTo", o.created_to);
  if (!o.service_from.empty()) Add(r, "$XDSDocumentEntryServiceStartTimeFrom", o.service_from);
  if (!o.service_to.empty()) Add(r, "$XDSDocumentEntryServiceStopTimeTo", o.service_to);
  if (!o.author_patterns.empty()) Add(r, "$XDSDocumentEntryAuthorPerson", QuotedList(o.author_patterns));
  return r;
}

absl::StatusOr<StoredQueryRequest> FindSubmissionSetsQuery(const std::string& patient_id, const std::string& status,
                                                           bool object_refs) {
  if (patient_id.empty()) return absl::InvalidArgumentError("this verb needs --patient 'ID^^^&OID&ISO'");
  auto statuses = StatusUrns(status);
  if (!statuses.ok()) return statuses.status();
  StoredQueryRequest r = Base(vocab::kQueryFindSubmissionSets, object_refs);
  Add(r, "$XDSSubmissionSetPatientId", Quoted(patient_id));
  Add(r, "$XDSSubmissionSetStatus", QuotedList(*statuses));
  return r;
}

absl::StatusOr<StoredQueryRequest> FindFoldersQuery(const std::string& patient_id, const std::string& status,
                                                    bool object_refs) {
  if (patient_id.empty()) return absl::InvalidArgumentError("this verb needs --patient 'ID^^^&OID&ISO'");
  auto statuses = StatusUrns(status);
  if (!statuses.ok()) return statuses.status();
  StoredQueryRequest r = Base(vocab::kQueryFindFolders, object_refs);
  Add(r, "$XDSFolderPatientId", Quoted(patient_id));
  Add(r, "$XDSFolderStatus", QuotedList(*statuses));
  return r;
}

StoredQueryRequest GetDocumentsQuery(const std::string& id) {
  StoredQueryRequest r = Base(vocab::kQueryGetDocuments, false);
  Add(r, IsEntryUuid(id) ? "$XDSDocumentEntryEntryUUID" : "$XDSDocumentEntryUniqueId", QuotedList({id}));
  return r;
}

StoredQueryRequest GetFoldersQuery(const std::string& id) {
  StoredQueryRequest r = Base(vocab::kQueryGetFolders, false);
  Add(r, IsEntryUuid(id) ? "$XDSFolderEntryUUID" : "$XDSFolderUniqueId", QuotedList({id}));
  return r;
}

StoredQueryRequest GetSubmissionSetAndContentsQuery(const std::string& id) {
  StoredQueryRequest r = Base(vocab::kQueryGetSubmissionSetAndContents, false);
  Add(r, IsEntryUuid(id) ? "$XDSSubmissionSetEntryUUID" : "$XDSSubmissionSetUniqueId", Quoted(id));
  return r;
}

StoredQueryRequest GetAssociationsQuery(const std::vector<std::string>& entry_uuids) {
  StoredQueryRequest r = Base(vocab::kQueryGetAssociations, false);
  Add(r, "$uuid", QuotedList(entry_uuids));
  return r;
}

StoredQueryRequest GetRelatedDocumentsQuery(const std::string& id) {
  StoredQueryRequest r = Base(vocab::kQueryGetRelatedDocuments, false);
  Add(r, IsEntryUuid(id) ? "$XDSDocumentEntryEntryUUID" : "$XDSDocumentEntryUniqueId", Quoted(id));
  Add(r, "$AssociationTypes",
      QuotedList({vocab::kRplc, vocab::kApnd, vocab::kXfrm, vocab::kXfrmRplc, vocab::kSigns, vocab::kIsSnapshotOf}));
  return r;
}

}  // namespace xds::ctl
