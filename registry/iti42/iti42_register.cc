// ITI-42 Register Document Set-b: the Document Registry's expected actions (ITI TF-2
// 3.42.4.1.3). Stateless checks live in validation/; the checks against what is already
// registered run here, inside the store's write transaction, so that concurrent
// submissions cannot both pass them.
#include <ctime>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/policy/bppc.h"
#include "registry/registry.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"

namespace xds {

namespace {

bool IsUuid(const std::string& id) { return absl::StartsWith(id, "urn:uuid:"); }

// Replaces symbolic ids (TF-2 3.42.4.1.3.7) by fresh urn:uuid: ids, the same symbol always
// by the same UUID, and re-points every reference. Nested Classification and
// ExternalIdentifier ids become UUIDs too, as the registry returns them.
class IdAssigner {
 public:
  std::string Assign(const std::string& id) {
    if (IsUuid(id)) return id;
    auto [it, inserted] = ids_.try_emplace(id);
    if (inserted) it->second = ebrim::NewUuidUrn();
    return it->second;
  }
  void Header(ObjectHeader* h) {
    h->set_entry_uuid(Assign(h->entry_uuid()));
    if (h->logical_id().empty() || !IsUuid(h->logical_id())) h->set_logical_id(h->entry_uuid());
    if (h->version().empty()) h->set_version("1");
    h->set_status(APPROVED);  // TF-2 3.42.4.1.3.3.5: the registry sets Approved
    NestedIds* n = h->mutable_nested_ids();
    for (std::string* id :
         {n->mutable_patient_id(), n->mutable_unique_id(), n->mutable_source_id(), n->mutable_type_classification()}) {
      *id = Assign(*id);
    }
  }
  void Code(xds::Code* c) { c->set_id(Assign(c->id())); }
  void Author(xds::Author* a) { a->set_id(Assign(a->id())); }

 private:
  std::map<std::string, std::string> ids_;  // symbolic -> urn:uuid; "" maps to a fresh one each time
};

}  // namespace

namespace iti42 {
void AssignIds(Submission* s) {
  IdAssigner ids;
  for (auto& ss : *s->mutable_submission_sets()) {
    ids.Header(ss.mutable_header());
    if (ss.has_content_type_code()) ids.Code(ss.mutable_content_type_code());
    for (auto& a : *ss.mutable_authors()) ids.Author(&a);
  }
  for (auto& de : *s->mutable_document_entries()) {
    ids.Header(de.mutable_header());
    for (xds::Code* c : {de.mutable_class_code(), de.mutable_type_code(), de.mutable_format_code(),
                         de.mutable_healthcare_facility_type_code(), de.mutable_practice_setting_code()}) {
      ids.Code(c);
    }
    for (auto& c : *de.mutable_confidentiality_codes()) ids.Code(&c);
    for (auto& c : *de.mutable_event_codes()) ids.Code(&c);
    for (auto& a : *de.mutable_authors()) ids.Author(&a);
  }
  for (auto& fd : *s->mutable_folders()) {
    ids.Header(fd.mutable_header());
    for (auto& c : *fd.mutable_codes()) ids.Code(&c);
  }
  for (auto& as : *s->mutable_associations()) {
    ids.Header(as.mutable_header());
    as.set_source(ids.Assign(as.source()));
    as.set_target(ids.Assign(as.target()));
    for (auto& c : *as.mutable_documentation()) ids.Code(&c);
  }
}

}  // namespace iti42

namespace {
// A failed read of the registry's own store: the sender can only retry; details stay in the log.
RegistryError StoreReadError() {
  return MakeError(err::kRegistryError, "The registry could not read its store; retry later");
}

bool IsReplacement(const std::string& type) { return type == vocab::kRplc || type == vocab::kXfrmRplc; }

bool IsRelationship(const std::string& type) {
  return type == vocab::kRplc || type == vocab::kXfrmRplc || type == vocab::kApnd || type == vocab::kXfrm ||
         type == vocab::kSigns || type == vocab::kIsSnapshotOf;
}

}  // namespace

namespace iti42 {
// Checks against the committed registry (TF-2 3.42.4.1.3) and plans the side effects of
// replacements (R13) and folder membership (R16).
std::vector<RegistryError> CheckAgainstRegistry(RegistryView& view, WritePlan* plan) {
  std::vector<RegistryError> errors;
  Submission& s = plan->submission;

  // R7: every patient id known to the patient index of the affinity domain.
  std::set<std::string> patients;
  for (const auto& ss : s.submission_sets()) patients.insert(ss.patient_id());
  for (const auto& de : s.document_entries()) patients.insert(de.patient_id());
  for (const auto& fd : s.folders()) patients.insert(fd.patient_id());
  for (const std::string& pid : patients) {
    auto known = view.PatientKnown(pid);
    if (!known.ok()) return {StoreReadError()};
    if (!*known) {
      errors.push_back(
          MakeError(err::kUnknownPatientId, absl::StrCat("Patient id ", pid, " is not known in this affinity domain")));
    }
  }

  // Objects of this submission, by entryUUID.
  std::map<std::string, ObjectKind> local;
  std::map<std::string, const DocumentEntry*> local_docs;
  std::map<std::string, std::string> local_patient;
  for (const auto& ss : s.submission_sets()) {
    local[ss.header().entry_uuid()] = ObjectKind::kSubmissionSet;
    local_patient[ss.header().entry_uuid()] = ss.patient_id();
  }
  for (const auto& de : s.document_entries()) {
    local[de.header().entry_uuid()] = ObjectKind::kDocumentEntry;
    local_docs[de.header().entry_uuid()] = &de;
    local_patient[de.header().entry_uuid()] = de.patient_id();
  }
  for (const auto& fd : s.folders()) {
    local[fd.header().entry_uuid()] = ObjectKind::kFolder;
    local_patient[fd.header().entry_uuid()] = fd.patient_id();
  }
  for (const auto& as : s.associations()) local[as.header().entry_uuid()] = ObjectKind::kAssociation;

  // R17: a UUID chosen by the submitter must not be registered already.
  std::vector<std::string> own_ids;
  for (const auto& [id, kind] : local) own_ids.push_back(id);
  auto clashes = view.FindObjects(own_ids);
  if (!clashes.ok()) return {StoreReadError()};
  for (const auto& info : *clashes) {
    errors.push_back(MakeError(err::kRegistryMetadataError,
                               absl::StrCat("entryUUID ", info.entry_uuid, " is already registered"), info.entry_uuid));
  }

  // R4: a DocumentEntry uniqueId may repeat only with identical hash and size.
  for (const auto& de : s.document_entries()) {
    auto existing = view.DocumentEntriesByUniqueId(de.unique_id());
    if (!existing.ok()) return {StoreReadError()};
    for (const auto& old : *existing) {
      // An ITI-57 new version shares its uniqueId with the versions before it and may
      // correct their hash and size (TF-43 Delayed Document Assembly).
      if (old.header().logical_id() == de.header().logical_id()) continue;
      if (!absl::EqualsIgnoreCase(old.hash(), de.hash())) {
        errors.push_back(MakeError(
            err::kNonIdenticalHash,
            absl::StrCat("DocumentEntry uniqueId ", de.unique_id(), " is already registered with a different hash"),
            de.header().entry_uuid()));
        break;
      }
      if (old.size() != de.size()) {
        errors.push_back(MakeError(
            err::kNonIdenticalSize,
            absl::StrCat("DocumentEntry uniqueId ", de.unique_id(), " is already registered with a different size"),
            de.header().entry_uuid()));
        break;
      }
    }
  }
  // R5: SubmissionSet and Folder uniqueIds are unique in the registry.
  auto check_package = [&](const std::string& unique_id, const std::string& what, const std::string& id) {
    auto taken = view.UniqueIdRegistered(unique_id);
    if (!taken.ok()) {
      errors.push_back(StoreReadError());
      return;
    }
    if (*taken) {
      errors.push_back(MakeError(err::kDuplicateUniqueIdInRegistry,
                                 absl::StrCat(what, " uniqueId ", unique_id, " is already registered"), id));
    }
  };
  for (const auto& ss : s.submission_sets()) check_package(ss.unique_id(), "SubmissionSet", ss.header().entry_uuid());
  for (const auto& fd : s.folders()) {
    // An ITI-57 new version keeps its Folder's uniqueId (iti57 checks it is the same).
    if (fd.header().logical_id() != fd.header().entry_uuid()) continue;
    check_package(fd.unique_id(), "Folder", fd.header().entry_uuid());
  }

  // Association ends outside the submission must be registered.
  std::vector<std::string> outside;
  for (const auto& as : s.associations()) {
    for (const std::string& end : {as.source(), as.target()}) {
      if (!local.count(end)) outside.push_back(end);
    }
  }
  std::map<std::string, StoredObjectInfo> registered;
  if (!outside.empty()) {
    auto found = view.FindObjects(outside);
    if (!found.ok()) return {StoreReadError()};
    for (auto& info : *found) registered[info.entry_uuid] = info;
  }
  auto patient_of = [&](const std::string& id) -> std::string {
    if (auto it = local_patient.find(id); it != local_patient.end()) return it->second;
    if (auto it = registered.find(id); it != registered.end()) return it->second.patient_id;
    return "";
  };
  auto kind_of = [&](const std::string& id) -> std::optional<ObjectKind> {
    if (auto it = local.find(id); it != local.end()) return it->second;
    if (auto it = registered.find(id); it != registered.end()) return it->second.kind;
    return std::nullopt;
  };

  std::string ss_uuid = s.submission_sets_size() == 1 ? s.submission_sets(0).header().entry_uuid() : "";
  std::set<std::string> folders_getting_members;
  std::vector<Association> added;  // R13 folder propagation
  for (const auto& as : s.associations()) {
    const std::string& id = as.header().entry_uuid();
    bool unresolved = false;
    for (const std::string& end : {as.source(), as.target()}) {
      if (!kind_of(end)) {
        errors.push_back(MakeError(err::kUnresolvedReferenceException,
                                   absl::StrCat("Association ", id, " references ", end,
                                                ", which is neither in the submission nor in the registry"),
                                   id));
        unresolved = true;
      }
    }
    if (unresolved) continue;
    auto source_kind = *kind_of(as.source());
    auto target_kind = *kind_of(as.target());

    if (as.type() == vocab::kHasMember) {
      if (source_kind == ObjectKind::kFolder && target_kind == ObjectKind::kDocumentEntry) {
        // R15: both ends Approved; Folder and DocumentEntry of the same patient.
        for (const std::string& end : {as.source(), as.target()}) {
          auto it = registered.find(end);
          if (it != registered.end() && it->second.status != APPROVED) {
            errors.push_back(MakeError(err::kRegistryDeprecatedDocumentError,
                                       absl::StrCat("Association ", id, " uses ", end, ", which is Deprecated"), id));
          }
        }
        if (patient_of(as.source()) != patient_of(as.target())) {
          // Never name the patient of a registered object: it may be another patient's id.
          errors.push_back(MakeError(err::kPatientIdDoesNotMatch,
                                     absl::StrCat("Folder ", as.source(), " and DocumentEntry ", as.target(),
                                                  " belong to different patients; a Folder holds documents of "
                                                  "its own patient only"),
                                     id));
        }
        folders_getting_members.insert(as.source());
      }
      continue;
    }
    if (!IsRelationship(as.type())) continue;
    // R10: the source is a DocumentEntry of this submission.
    if (!local_docs.count(as.source())) {
      errors.push_back(
          MakeError(err::kUnresolvedReferenceException,
                    absl::StrCat("Association ", id, " must have a DocumentEntry of this submission as source"), id));
      continue;
    }
    // R11: replacement-like targets must already be registered DocumentEntries.
    auto reg = registered.find(as.target());
    bool target_registered = reg != registered.end();
    bool needs_registered = IsReplacement(as.type()) || as.type() == vocab::kIsSnapshotOf;
    if (target_kind != ObjectKind::kDocumentEntry || (needs_registered && !target_registered)) {
      errors.push_back(MakeError(
          err::kUnresolvedReferenceException,
          absl::StrCat("Association ", id, " must target a registered DocumentEntry; ", as.target(), " is not one"),
          id));
      continue;
    }
    if (target_registered && reg->second.status != APPROVED) {  // R12
      errors.push_back(MakeError(err::kRegistryDeprecatedDocumentError,
                                 absl::StrCat("Association ", id, " targets DocumentEntry ", as.target(),
                                              ", which is Deprecated; only the newest version can be used"),
                                 id));
      continue;
    }
    if (patient_of(as.source()) != patient_of(as.target())) {  // R9
      errors.push_back(MakeError(err::kPatientIdDoesNotMatch,
                                 absl::StrCat("Association ", id, " links DocumentEntry ", as.source(), " to ",
                                              as.target(), ", which belongs to a different patient"),
                                 id));
      continue;
    }
    if (as.type() == vocab::kIsSnapshotOf) {  // R14
      auto source_doc = local_docs.find(as.source());
      if (source_doc == local_docs.end() || source_doc->second->type() != STABLE ||
          reg->second.document_type != ON_DEMAND) {
        errors.push_back(MakeError(
            err::kRegistryMetadataError,
            absl::StrCat("IsSnapshotOf association ", id, " must go from a Stable to an On-Demand DocumentEntry"), id));
      }
      continue;
    }
    if (!IsReplacement(as.type()) || !target_registered) continue;
    // R13: deprecate the replaced entry and its addenda/transforms; carry folder membership.
    plan->deprecate_uuids.push_back(as.target());
    auto around = view.AssociationsOf(as.target());
    if (!around.ok()) return {StoreReadError()};
    for (const auto& old : *around) {
      if ((old.type() == vocab::kApnd || old.type() == vocab::kXfrm) && old.target() == as.target()) {
        plan->deprecate_uuids.push_back(old.source());
      }
      if (old.type() == vocab::kHasMember && old.target() == as.target()) {
        auto folder = view.FindObjects({old.source()});
        if (!folder.ok()) return {StoreReadError()};
        if (folder->empty() || (*folder)[0].kind != ObjectKind::kFolder || (*folder)[0].status != APPROVED) continue;
        if ((*folder)[0].patient_id != patient_of(as.source())) {
          errors.push_back(MakeError(
              err::kPatientIdDoesNotMatch,
              absl::StrCat("Replacement ", as.source(), " cannot join Folder ", old.source(), " of another patient"),
              id));
          continue;
        }
        Association membership;
        membership.mutable_header()->set_entry_uuid(ebrim::NewUuidUrn());
        membership.mutable_header()->set_logical_id(membership.header().entry_uuid());
        membership.mutable_header()->set_version("1");
        membership.mutable_header()->set_status(APPROVED);
        membership.set_type(vocab::kHasMember);
        membership.set_source(old.source());
        membership.set_target(as.source());
        Association in_set = membership;
        in_set.mutable_header()->set_entry_uuid(ebrim::NewUuidUrn());
        in_set.mutable_header()->set_logical_id(in_set.header().entry_uuid());
        in_set.set_source(ss_uuid);
        in_set.set_target(membership.header().entry_uuid());
        added.push_back(membership);
        added.push_back(in_set);
        folders_getting_members.insert(old.source());
      }
    }
  }
  if (!errors.empty()) return errors;
  for (auto& a : added) *s.add_associations() = std::move(a);
  // R16: folders that gain a member get a new lastUpdateTime (new folders get it anyway).
  for (auto& fd : *s.mutable_folders()) fd.set_last_update_time(plan->last_update_time);
  for (const std::string& folder : folders_getting_members) {
    if (!local.count(folder)) plan->touched_folder_uuids.push_back(folder);
  }
  return errors;
}

RegistryResponse Register(MetadataStore& store, const RegistryOptions& options, Submission submission,
                          const std::string& submitting_organization, CallOutcome& outcome) {
  std::vector<RegistryError> invalid = ValidateSubmission(submission, options.validation);
  if (options.domain_policy) {
    // A BPPC consent document sets her consent (issue 16): one the domain cannot map is
    // refused whole, rather than registered with part of what she signed ignored.
    for (const DocumentEntry& de : submission.document_entries()) {
      if (!policy::IsConsentDocument(*options.domain_policy, de)) continue;
      absl::StatusOr<std::vector<policy::ConsentRule>> rules =
          policy::RulesFromConsentDocument(*options.domain_policy, de);
      if (!rules.ok()) {
        invalid.push_back(MakeError(err::kRegistryMetadataError,
                                    absl::StrCat("Consent document ", de.unique_id(), ": ", rules.status().message()),
                                    de.unique_id()));
      }
    }
  }
  AssignIds(&submission);
  WritePlan plan;
  plan.submission = std::move(submission);
  plan.last_update_time = CurrentDtm();
  plan.submitting_organization = submitting_organization;
  // A submission that fails the checks of its own content is still checked against the
  // registry, so that the sender learns every error at once (e.g. a malformed slot and an
  // unknown patient); the returned errors are then never empty and nothing is written.
  auto check = [&invalid](RegistryView& view, WritePlan* p) {
    std::vector<RegistryError> errors = invalid;  // a copy: the same answer however often called
    for (RegistryError& e : CheckAgainstRegistry(view, p)) errors.push_back(std::move(e));
    return errors;
  };
  // The success event commits with the registration (one fsync for both); the gate records
  // a refusal's or failure's event itself.
  auto result = store.Submit(std::move(plan), check, outcome.audit, &outcome.audit_committed);
  if (!result.ok()) {
    // Never leak store details (paths, SQL) to the sender: they go to the log.
    outcome.detail = result.status().ToString();
    return FailureResponse(
        {MakeError(err::kRegistryError, "The registry could not store the submission; retry later")});
  }
  if (!result->empty()) return FailureResponse(std::move(*result));
  return SuccessResponse();
}

}  // namespace iti42
}  // namespace xds
