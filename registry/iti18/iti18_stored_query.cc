// ITI-18 Registry Stored Query (ITI TF-2 3.18.4.1): each stored query answered from the
// store's indexed lookups. Parameter tables and value decoding are in iti18_params.cc.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "registry/access/access_guard.h"
#include "registry/iti18/iti18_params.h"
#include "registry/registry.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"

namespace xds {
namespace {

using iti18::Params;
using iti18::QueryKind;
using iti18::QuerySpec;

// Collects the answer, de-duplicating objects reached by several paths. Add takes the object
// over by swapping it in (moving a message would construct one more); callers that keep
// theirs pass a copy.
class Answer {
 public:
  void Add(DocumentEntry&& de) {
    if (seen_.insert(de.header().entry_uuid()).second) response.add_document_entries()->Swap(&de);
  }
  void Add(SubmissionSet&& ss) {
    if (seen_.insert(ss.header().entry_uuid()).second) response.add_submission_sets()->Swap(&ss);
  }
  void Add(Folder&& fd) {
    if (seen_.insert(fd.header().entry_uuid()).second) response.add_folders()->Swap(&fd);
  }
  void Add(Association&& as) {
    if (seen_.insert(as.header().entry_uuid()).second) response.add_associations()->Swap(&as);
  }
  bool Contains(const std::string& uuid) const { return seen_.count(uuid) > 0; }
  size_t Size() const { return seen_.size(); }
  // entryUUIDs of the DocumentEntries, SubmissionSets and Folders answered so far.
  std::vector<std::string> PackagesAndDocuments() const {
    std::vector<std::string> ids;
    for (const auto& de : response.document_entries()) ids.push_back(de.header().entry_uuid());
    for (const auto& ss : response.submission_sets()) ids.push_back(ss.header().entry_uuid());
    for (const auto& fd : response.folders()) ids.push_back(fd.header().entry_uuid());
    return ids;
  }
  StoredQueryResponse response;

 private:
  std::set<std::string> seen_;
};

// One query's run against the store: remembers store failures and result-cap overflows so
// that the query code can stay a straight sequence of lookups.
//
// With an access policy (`guard`), every lookup answers only what the requester may see,
// and the result cap counts only that: DocumentEntries of one patient are filtered in SQL;
// lookups by id are filtered after reading (their ids bound them), as are packages and
// associations (AccessGuard says which are hidden).
class Run {
 public:
  Run(MetadataStore& store, size_t cap, bool object_refs, AccessGuard* guard)
      : object_refs(object_refs), store_(store), cap_(cap), guard_(guard) {}

  std::vector<DocumentEntry> Documents(DocumentEntryFilter f) {
    f.limit = cap_;
    if (guard_ == nullptr) return Checked(store_.FindDocumentEntries(f));
    if (f.patient_ids.size() == 1) {
      absl::StatusOr<const policy::Visibility*> v = guard_->For(f.patient_ids[0]);
      if (!v.ok()) return Fail<DocumentEntry>(v.status());
      f.visibility = *v;
      return Checked(store_.FindDocumentEntries(f));
    }
    f.limit = 0;
    absl::StatusOr<std::vector<DocumentEntry>> found = store_.FindDocumentEntries(f);
    if (!found.ok()) return Fail<DocumentEntry>(found.status());
    std::vector<std::string> ids;
    for (const DocumentEntry& de : *found) ids.push_back(de.header().entry_uuid());
    absl::StatusOr<std::set<std::string>> hidden = guard_->HiddenDocuments(ids);
    if (!hidden.ok()) return Fail<DocumentEntry>(hidden.status());
    return Checked(absl::StatusOr<std::vector<DocumentEntry>>(Drop(*std::move(found), *hidden)));
  }
  // Under a policy packages are read without a limit (hidden ones must not count).
  std::vector<SubmissionSet> SubmissionSets(PackageFilter f) {
    f.limit = guard_ == nullptr ? cap_ : 0;
    return Checked(Packages(store_.FindSubmissionSets(f)));
  }
  std::vector<Folder> Folders(PackageFilter f) {
    f.limit = guard_ == nullptr ? cap_ : 0;
    return Checked(Packages(store_.FindFolders(f)));
  }
  std::vector<Association> Associations(const std::vector<std::string>& uuids, const std::vector<std::string>& types) {
    if (uuids.empty()) return {};
    absl::StatusOr<std::vector<Association>> found = store_.FindAssociations(uuids, types);
    if (guard_ == nullptr || !found.ok()) return Checked(std::move(found));
    std::vector<std::string> ends;
    for (const Association& as : *found) {
      ends.push_back(as.source());
      ends.push_back(as.target());
    }
    absl::StatusOr<std::set<std::string>> hidden = guard_->Hidden(ends);
    if (!hidden.ok()) return Fail<Association>(hidden.status());
    std::vector<Association> shown;
    for (Association& as : *found) {
      if (!hidden->count(as.source()) && !hidden->count(as.target())) shown.push_back(std::move(as));
    }
    guard_->NoteHidden(static_cast<int>(found->size() - shown.size()));
    return Checked(absl::StatusOr<std::vector<Association>>(std::move(shown)));
  }
  std::set<std::string> AssociationIds(const std::vector<std::string>& uuids) {
    std::set<std::string> ids;
    if (uuids.empty()) return ids;
    absl::StatusOr<std::vector<StoredObjectInfo>> infos = store_.FindObjects(uuids);
    if (!infos.ok()) {
      Failed(infos.status());
      return ids;
    }
    for (const StoredObjectInfo& info : *infos) {
      if (info.kind == ObjectKind::kAssociation) ids.insert(info.entry_uuid);
    }
    return ids;
  }

  bool store_failed = false;
  std::string store_error;  // the first failure's detail, for the log only
  bool too_many = false;
  const bool object_refs;  // an ObjectRef answer: lookups that end the query may fetch ids only

 private:
  void Failed(const absl::Status& status) {
    if (!store_failed) store_error = status.ToString();
    store_failed = true;
  }
  template <typename T>
  std::vector<T> Checked(absl::StatusOr<std::vector<T>> r) {
    if (!r.ok()) return Fail<T>(r.status());
    if (cap_ > 0 && r->size() > cap_) too_many = true;
    return std::move(*r);
  }
  template <typename T>
  std::vector<T> Fail(const absl::Status& status) {
    Failed(status);
    return {};
  }
  template <typename T>
  std::vector<T> Drop(std::vector<T> objects, const std::set<std::string>& hidden) {
    std::vector<T> shown;
    for (T& o : objects) {
      if (!hidden.count(o.header().entry_uuid())) shown.push_back(std::move(o));
    }
    guard_->NoteHidden(static_cast<int>(objects.size() - shown.size()));
    return shown;
  }
  // SubmissionSets or Folders without those the policy hides.
  template <typename T>
  absl::StatusOr<std::vector<T>> Packages(absl::StatusOr<std::vector<T>> found) {
    if (guard_ == nullptr || !found.ok()) return found;
    std::map<std::string, std::string> patients;
    for (const T& o : *found) patients[o.header().entry_uuid()] = o.patient_id();
    absl::StatusOr<std::set<std::string>> hidden = guard_->HiddenPackages(patients);
    if (!hidden.ok()) return hidden.status();
    return Drop(*std::move(found), *hidden);
  }

  MetadataStore& store_;
  size_t cap_;
  AccessGuard* guard_;
};

void FindDocuments(Run& run, Params& p, bool by_reference_id, Answer* answer) {
  DocumentEntryFilter f;
  f.patient_ids = {p.Single("$XDSDocumentEntryPatientId")};
  f.statuses = p.Statuses("$XDSDocumentEntryStatus");
  f.types = p.Types();
  f.class_codes = p.Codes("$XDSDocumentEntryClassCode");
  f.type_codes = p.Codes("$XDSDocumentEntryTypeCode");
  f.practice_setting_codes = p.Codes("$XDSDocumentEntryPracticeSettingCode");
  f.healthcare_facility_type_codes = p.Codes("$XDSDocumentEntryHealthcareFacilityTypeCode");
  f.format_codes = p.Codes("$XDSDocumentEntryFormatCode");
  f.event_codes_all = p.AndOrCodes("$XDSDocumentEntryEventCodeList");
  f.confidentiality_codes_all = p.AndOrCodes("$XDSDocumentEntryConfidentialityCode");
  f.author_person_patterns = p.List("$XDSDocumentEntryAuthorPerson");
  f.creation_from = p.Time("$XDSDocumentEntryCreationTimeFrom");
  f.creation_to = p.Time("$XDSDocumentEntryCreationTimeTo");
  f.service_start_from = p.Time("$XDSDocumentEntryServiceStartTimeFrom");
  f.service_start_to = p.Time("$XDSDocumentEntryServiceStartTimeTo");
  f.service_stop_from = p.Time("$XDSDocumentEntryServiceStopTimeFrom");
  f.service_stop_to = p.Time("$XDSDocumentEntryServiceStopTimeTo");
  if (by_reference_id) f.reference_ids_all = p.Groups("$XDSDocumentEntryReferenceIdList");
  f.ids_only = run.object_refs;
  if (!p.errors().empty()) return;

  const bool on_demand = std::count(f.types.begin(), f.types.end(), ON_DEMAND) > 0;
  const bool stable = std::count(f.types.begin(), f.types.end(), STABLE) > 0;
  if (on_demand && !(f.creation_from.empty() && f.creation_to.empty())) {
    // creationTime bounds are ignored for On-Demand entries (TF-2 3.18.4.1.2.3.7.1 note 6):
    // Stable entries with the bounds, On-Demand entries without.
    if (stable) {
      DocumentEntryFilter s = f;
      s.types = {STABLE};
      for (DocumentEntry& de : run.Documents(s)) answer->Add(std::move(de));
    }
    f.types = {ON_DEMAND};
    f.creation_from.clear();
    f.creation_to.clear();
  }
  for (DocumentEntry& de : run.Documents(f)) answer->Add(std::move(de));
}

void FindSubmissionSets(Run& run, Params& p, Answer* answer) {
  PackageFilter f;
  f.patient_ids = {p.Single("$XDSSubmissionSetPatientId")};
  f.statuses = p.Statuses("$XDSSubmissionSetStatus");
  f.source_ids = p.List("$XDSSubmissionSetSourceId");
  f.time_from = p.Time("$XDSSubmissionSetSubmissionTimeFrom");
  f.time_to = p.Time("$XDSSubmissionSetSubmissionTimeTo");
  if (p.Has("$XDSSubmissionSetAuthorPerson")) f.author_person_patterns = {p.Single("$XDSSubmissionSetAuthorPerson")};
  f.content_type_codes = p.Codes("$XDSSubmissionSetContentType");
  if (!p.errors().empty()) return;
  for (SubmissionSet& ss : run.SubmissionSets(f)) answer->Add(std::move(ss));
}

void FindFolders(Run& run, Params& p, Answer* answer) {
  PackageFilter f;
  f.patient_ids = {p.Single("$XDSFolderPatientId")};
  f.statuses = p.Statuses("$XDSFolderStatus");
  f.time_from = p.Time("$XDSFolderLastUpdateTimeFrom");
  f.time_to = p.Time("$XDSFolderLastUpdateTimeTo");
  f.folder_codes_all = p.AndOrCodes("$XDSFolderCodeList");
  if (!p.errors().empty()) return;
  for (Folder& fd : run.Folders(f)) answer->Add(std::move(fd));
}

// The DocumentEntry filters of GetAll and the *AndContents queries.
DocumentEntryFilter ContentFilter(Params& p) {
  DocumentEntryFilter f;
  f.format_codes = p.Codes("$XDSDocumentEntryFormatCode");
  f.confidentiality_codes_all = p.AndOrCodes("$XDSDocumentEntryConfidentialityCode");
  f.types = p.Types();
  return f;
}

void GetAll(Run& run, Params& p, Answer* answer) {
  const std::string patient = p.Single("$patientId");
  DocumentEntryFilter de = ContentFilter(p);
  de.patient_ids = {patient};
  de.statuses = p.Statuses("$XDSDocumentEntryStatus");
  PackageFilter ss, fd;
  ss.patient_ids = fd.patient_ids = {patient};
  ss.statuses = p.Statuses("$XDSSubmissionSetStatus");
  fd.statuses = p.Statuses("$XDSFolderStatus");
  if (!p.errors().empty()) return;
  for (SubmissionSet& s : run.SubmissionSets(ss)) answer->Add(std::move(s));
  for (DocumentEntry& d : run.Documents(de)) answer->Add(std::move(d));
  for (Folder& f : run.Folders(fd)) answer->Add(std::move(f));
  // Associations with either end among them, even when the other end is not answered (a
  // Deprecated entry, another patient's object).
  for (Association& as : run.Associations(answer->PackagesAndDocuments(), {})) answer->Add(std::move(as));
}

DocumentEntryFilter DocumentsByIdentifier(Params& p) {
  DocumentEntryFilter f;
  f.entry_uuids = p.List("$XDSDocumentEntryEntryUUID");
  f.unique_ids = p.List("$XDSDocumentEntryUniqueId");
  f.logical_ids = p.List("$XDSDocumentEntryLogicalID");
  return f;  // any status, any type: the caller names the entries
}

void GetSubmissionSets(Run& run, Params& p, Answer* answer) {
  const std::vector<std::string> uuids = p.List("$uuid");
  const std::set<std::string> wanted(uuids.begin(), uuids.end());
  std::vector<Association> members;
  for (Association& as : run.Associations(uuids, {vocab::kHasMember})) {
    if (wanted.count(as.target())) members.push_back(std::move(as));
  }
  PackageFilter f;
  for (const Association& as : members) f.entry_uuids.push_back(as.source());
  if (f.entry_uuids.empty()) return;
  for (SubmissionSet& ss : run.SubmissionSets(f)) answer->Add(std::move(ss));  // Folder sources drop out here
  for (Association& as : members) {
    if (answer->Contains(as.source())) answer->Add(std::move(as));
  }
}

// GetSubmissionSetAndContents and GetFolderAndContents (TF-2 3.18.4.1.2.3.7.10/11).
void GetPackageAndContents(Run& run, Params& p, bool submission_set, Answer* answer) {
  DocumentEntryFilter content = ContentFilter(p);
  if (!p.errors().empty()) return;
  PackageFilter f;
  f.entry_uuids = p.List(submission_set ? "$XDSSubmissionSetEntryUUID" : "$XDSFolderEntryUUID");
  f.unique_ids = p.List(submission_set ? "$XDSSubmissionSetUniqueId" : "$XDSFolderUniqueId");
  std::string package;
  if (submission_set) {
    std::vector<SubmissionSet> found = run.SubmissionSets(f);
    if (found.empty()) return;
    package = found[0].header().entry_uuid();
    answer->Add(std::move(found[0]));
  } else {
    std::vector<Folder> found = run.Folders(f);
    if (found.empty()) return;
    package = found[0].header().entry_uuid();
    answer->Add(std::move(found[0]));
  }
  std::vector<Association> members;  // HasMember with the package as source
  for (Association& as : run.Associations({package}, {vocab::kHasMember})) {
    if (as.source() == package) members.push_back(std::move(as));
  }
  std::vector<std::string> targets;
  for (const Association& as : members) targets.push_back(as.target());
  if (targets.empty()) return;
  // DocumentEntries that pass the format/confidentiality/type rules.
  content.entry_uuids = targets;
  for (DocumentEntry& de : run.Documents(content)) answer->Add(std::move(de));
  if (submission_set) {
    PackageFilter folders;
    folders.entry_uuids = targets;
    for (Folder& fd : run.Folders(folders)) answer->Add(std::move(fd));
  }
  for (const Association& as : members) {
    if (answer->Contains(as.target())) answer->Add(Association(as));
  }
  if (!submission_set) return;
  // Associations that are themselves members of the SubmissionSet (e.g. the Folder-to-
  // DocumentEntry HasMember it recorded), when both their ends are in the answer; with the
  // SubmissionSet's HasMember to them.
  std::vector<std::string> unanswered;
  for (const Association& as : members) {
    if (!answer->Contains(as.target())) unanswered.push_back(as.target());
  }
  std::set<std::string> member_associations = run.AssociationIds(unanswered);
  if (member_associations.empty()) return;
  for (Association& inner : run.Associations(answer->PackagesAndDocuments(), {})) {
    if (!member_associations.count(inner.header().entry_uuid())) continue;
    if (!answer->Contains(inner.source()) || !answer->Contains(inner.target())) continue;
    const std::string inner_id = inner.header().entry_uuid();
    answer->Add(std::move(inner));
    for (const Association& outer : members) {
      if (outer.target() == inner_id) answer->Add(Association(outer));
    }
  }
}

void GetFoldersForDocument(Run& run, Params& p, Answer* answer) {
  std::vector<std::string> documents;
  for (const DocumentEntry& de : run.Documents(DocumentsByIdentifier(p))) documents.push_back(de.header().entry_uuid());
  const std::set<std::string> targets(documents.begin(), documents.end());
  PackageFilter f;
  for (const Association& as : run.Associations(documents, {vocab::kHasMember})) {
    if (targets.count(as.target())) f.entry_uuids.push_back(as.source());
  }
  if (f.entry_uuids.empty()) return;
  for (Folder& fd : run.Folders(f)) answer->Add(std::move(fd));  // SubmissionSet sources drop out here
}

void GetRelatedDocuments(Run& run, Params& p, Answer* answer) {
  std::vector<DocumentEntry> given = run.Documents(DocumentsByIdentifier(p));
  std::set<std::string> given_ids;
  for (const DocumentEntry& de : given) given_ids.insert(de.header().entry_uuid());
  std::vector<std::string> types;
  for (const std::string& t : p.List("$AssociationTypes")) types.push_back(ebrim::NormalizeAssociationType(t));
  std::vector<Association> related =
      run.Associations(std::vector<std::string>(given_ids.begin(), given_ids.end()), types);
  DocumentEntryFilter others;
  others.types = p.Types();
  for (const Association& as : related) {
    for (const std::string& end : {as.source(), as.target()}) {
      if (!given_ids.count(end)) others.entry_uuids.push_back(end);
    }
  }
  std::map<std::string, DocumentEntry> documents;
  for (DocumentEntry& de : given) documents[de.header().entry_uuid()] = std::move(de);
  if (!others.entry_uuids.empty()) {
    for (DocumentEntry& de : run.Documents(others)) documents[de.header().entry_uuid()] = std::move(de);
  }
  // Only associations between two documents; the given document is answered only when at
  // least one association is (TF-2 3.18.4.1.2.3.7.13 notes).
  std::vector<Association> answered;
  for (Association& as : related) {
    if (documents.count(as.source()) && documents.count(as.target())) answered.push_back(std::move(as));
  }
  if (answered.empty()) return;
  for (const Association& as : answered) {
    for (const std::string& end : {as.source(), as.target()}) answer->Add(DocumentEntry(documents[end]));
  }
  for (Association& as : answered) answer->Add(std::move(as));
}

StoredQueryResponse Failure(std::vector<RegistryError> errors) {
  StoredQueryResponse failure;
  *failure.mutable_response() = FailureResponse(std::move(errors));
  return failure;
}

}  // namespace

namespace iti18 {

StoredQueryResponse StoredQuery(MetadataStore& store, const RegistryOptions& options, const StoredQueryRequest& request,
                                AccessGuard* guard, CallOutcome& outcome) {
  const QuerySpec* spec = iti18::FindQuerySpec(request.query_id());
  if (!spec) {
    return Failure(
        {MakeError(err::kUnknownStoredQuery, absl::StrCat("Unknown stored query id '", request.query_id(), "'"))});
  }
  // The `home` attribute ($homeCommunityId) is accepted and not used: this registry is one
  // community (TF-2 3.18.4.1.3).
  Params p = iti18::DecodeParams(request, *spec);
  if (!p.errors().empty()) return Failure(std::move(p.errors()));

  const bool leaf = request.return_type() == LEAF_CLASS;
  const size_t cap = leaf ? options.max_leaf_class_results : options.max_object_ref_results;
  Run run(store, cap, /*object_refs=*/!leaf, guard);
  Answer answer;
  switch (spec->kind) {
    case QueryKind::kFindDocuments:
      FindDocuments(run, p, false, &answer);
      break;
    case QueryKind::kFindDocumentsByReferenceId:
      FindDocuments(run, p, true, &answer);
      break;
    case QueryKind::kFindSubmissionSets:
      FindSubmissionSets(run, p, &answer);
      break;
    case QueryKind::kFindFolders:
      FindFolders(run, p, &answer);
      break;
    case QueryKind::kGetAll:
      GetAll(run, p, &answer);
      break;
    case QueryKind::kGetDocuments:
      for (DocumentEntry& de : run.Documents(DocumentsByIdentifier(p))) answer.Add(std::move(de));
      break;
    case QueryKind::kGetFolders: {
      PackageFilter f;
      f.entry_uuids = p.List("$XDSFolderEntryUUID");
      f.unique_ids = p.List("$XDSFolderUniqueId");
      for (const std::string& lid : p.List("$XDSFolderLogicalID"))
        f.entry_uuids.push_back(lid);  // lid = id: one version
      for (Folder& fd : run.Folders(f)) answer.Add(std::move(fd));
      break;
    }
    case QueryKind::kGetAssociations:
      for (Association& as : run.Associations(p.List("$uuid"), {})) answer.Add(std::move(as));
      break;
    case QueryKind::kGetDocumentsAndAssociations:
      for (DocumentEntry& de : run.Documents(DocumentsByIdentifier(p))) answer.Add(std::move(de));
      for (Association& as : run.Associations(answer.PackagesAndDocuments(), {})) answer.Add(std::move(as));
      break;
    case QueryKind::kGetSubmissionSets:
      GetSubmissionSets(run, p, &answer);
      break;
    case QueryKind::kGetSubmissionSetAndContents:
      GetPackageAndContents(run, p, true, &answer);
      break;
    case QueryKind::kGetFolderAndContents:
      GetPackageAndContents(run, p, false, &answer);
      break;
    case QueryKind::kGetFoldersForDocument:
      GetFoldersForDocument(run, p, &answer);
      break;
    case QueryKind::kGetRelatedDocuments:
      GetRelatedDocuments(run, p, &answer);
      break;
  }
  if (!p.errors().empty()) return Failure(std::move(p.errors()));
  if (run.store_failed) {
    outcome.detail = run.store_error;
    return Failure({MakeError(err::kRegistryError, "The registry could not read its metadata store; retry later")});
  }
  if (run.too_many || (cap > 0 && answer.Size() > cap)) {
    return Failure({MakeError(err::kTooManyResults, absl::StrCat(spec->name, " matches more than ", cap,
                                                                 " objects, the most this registry "
                                                                 "returns as ",
                                                                 leaf ? "LeafClass" : "ObjectRef",
                                                                 "; narrow the query or ask for ObjectRef first"))});
  }

  StoredQueryResponse out = std::move(answer.response);
  if (leaf && spec->single_patient_leaf_class) {
    std::set<std::string> patients;
    for (const auto& de : out.document_entries()) patients.insert(de.patient_id());
    for (const auto& ss : out.submission_sets()) patients.insert(ss.patient_id());
    for (const auto& fd : out.folders()) patients.insert(fd.patient_id());
    if (patients.size() > 1) {
      return Failure({MakeError(err::kResultNotSinglePatient,
                                absl::StrCat(spec->name, ": the objects requested belong to ", patients.size(),
                                             " patients; a LeafClass answer must be about one patient (ask for "
                                             "ObjectRef, or per patient)"))});
    }
  }
  if (!leaf) {
    StoredQueryResponse refs;
    auto take_id = [&refs](auto& object) {
      refs.add_object_refs(std::move(*object.mutable_header()->mutable_entry_uuid()));
    };
    for (auto& de : *out.mutable_document_entries()) take_id(de);
    for (auto& ss : *out.mutable_submission_sets()) take_id(ss);
    for (auto& fd : *out.mutable_folders()) take_id(fd);
    for (auto& as : *out.mutable_associations()) take_id(as);
    refs.set_object_refs_home(options.home_community_id);
    out = std::move(refs);
  } else if (!options.home_community_id.empty()) {
    for (auto& de : *out.mutable_document_entries()) de.mutable_header()->set_home(options.home_community_id);
    for (auto& ss : *out.mutable_submission_sets()) ss.mutable_header()->set_home(options.home_community_id);
    for (auto& fd : *out.mutable_folders()) fd.mutable_header()->set_home(options.home_community_id);
  }
  out.mutable_response()->set_status(SUCCESS);
  return out;
}

}  // namespace iti18
}  // namespace xds
