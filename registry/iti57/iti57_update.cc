// ITI-57 Update Document Set (XDS Metadata Update option, Document Administrator -> Document
// Registry). One lcm:SubmitObjectsRequest with one SubmissionSet that records the change, and:
//   - UpdateAvailabilityStatus associations (SubmissionSet -> a registered DocumentEntry or
//     Folder, slots OriginalStatus and NewStatus): the target's status changes;
//   - DocumentEntries whose lid names a registered logicalId (lid != id): a new version of
//     that entry, tied to the SubmissionSet by a HasMember with slot PreviousVersion = the
//     versionName it replaces. It becomes version latest+1, Approved; the previous version
//     becomes Deprecated. Its uniqueId and patientId cannot change (hash and size can: TF-43
//     Delayed Document Assembly corrects them this way; NIST 15801 expects it).
// Everything else of the request is checked as ITI-42 checks it, and the whole update
// commits in one checked write (the store's group commit), or nothing does.
//   - Folders likewise (lid, PreviousVersion on the SubmissionSet's HasMember).
// A new version takes over its previous version's Folder memberships (a DocumentEntry) or
// members (a Folder), unless the HasMember says AssociationPropagation = no.
//   - SubmitAssociation (SubmissionSet -> an association of the request): that association
//     between registered objects is added; its ends must be Approved and of one patient.
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "registry/registry.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/model/errors.h"

namespace xds {
namespace {

const Slot* FindSlot(const ObjectHeader& header, const std::string& name) {
  for (const Slot& slot : header.extra_slots()) {
    if (slot.name() == name) return &slot;
  }
  return nullptr;
}

AvailabilityStatus StatusOf(const std::string& urn) {
  if (urn == vocab::kStatusApproved) return APPROVED;
  if (urn == vocab::kStatusDeprecated) return DEPRECATED;
  return AVAILABILITY_STATUS_UNSPECIFIED;
}

// What a new version is checked against: one registered version of its logicalId.
struct Version {
  ObjectHeader header;
  std::string unique_id, patient_id;
};

Association NewAssociation(const std::string& type, const std::string& source, const std::string& target) {
  Association a;
  a.mutable_header()->set_entry_uuid(ebrim::NewUuidUrn());
  a.mutable_header()->set_logical_id(a.header().entry_uuid());
  a.mutable_header()->set_version("1");
  a.mutable_header()->set_status(APPROVED);
  a.set_type(type);
  a.set_source(source);
  a.set_target(target);
  return a;
}

bool IsRelationship(const std::string& type) {
  return type == vocab::kRplc || type == vocab::kXfrmRplc || type == vocab::kApnd || type == vocab::kXfrm ||
         type == vocab::kSigns || type == vocab::kIsSnapshotOf;
}

int64_t VersionNumber(const std::string& version) {
  int64_t n = 0;
  return absl::SimpleAtoi(version, &n) ? n : 0;
}

bool IsNewVersion(const ObjectHeader& header) {
  return !header.logical_id().empty() && header.logical_id() != header.entry_uuid() &&
         absl::StartsWith(header.logical_id(), "urn:uuid:");
}

// The ITI-57 operations of an update that ITI-42's rules do not cover; `s` has UUID ids.
std::vector<RegistryError> CheckUpdate(RegistryView& view, WritePlan* plan) {
  std::vector<RegistryError> errors;
  Submission& s = plan->submission;
  const std::string ss = s.submission_sets_size() == 1 ? s.submission_sets(0).header().entry_uuid() : "";

  // UpdateAvailabilityStatus.
  for (const Association& a : s.associations()) {
    if (a.type() != vocab::kUpdateAvailabilityStatus) continue;
    const std::string& id = a.header().entry_uuid();
    if (a.source() != ss) {
      errors.push_back(
          MakeError(err::kMetadataUpdateError,
                    absl::StrCat("UpdateAvailabilityStatus ", id, " must have the SubmissionSet as source"), id));
      continue;
    }
    const Slot* original = FindSlot(a.header(), "OriginalStatus");
    const Slot* wanted = FindSlot(a.header(), "NewStatus");
    AvailabilityStatus from =
        original && original->values_size() == 1 ? StatusOf(original->values(0)) : AVAILABILITY_STATUS_UNSPECIFIED;
    AvailabilityStatus to =
        wanted && wanted->values_size() == 1 ? StatusOf(wanted->values(0)) : AVAILABILITY_STATUS_UNSPECIFIED;
    if (from == AVAILABILITY_STATUS_UNSPECIFIED || to == AVAILABILITY_STATUS_UNSPECIFIED) {
      errors.push_back(MakeError(err::kMetadataUpdateError,
                                 absl::StrCat("UpdateAvailabilityStatus ", id,
                                              " needs the slots OriginalStatus and NewStatus, each one StatusType URN "
                                              "(Approved or Deprecated)"),
                                 id));
      continue;
    }
    auto target = view.FindObjects({a.target()});
    if (!target.ok()) return errors;  // the store noted the failure
    if (target->empty() ||
        ((*target)[0].kind != ObjectKind::kDocumentEntry && (*target)[0].kind != ObjectKind::kFolder)) {
      errors.push_back(MakeError(err::kMetadataUpdateError,
                                 absl::StrCat("UpdateAvailabilityStatus ", id,
                                              " must target a registered "
                                              "DocumentEntry or Folder; ",
                                              a.target(), " is not one"),
                                 id));
      continue;
    }
    const StoredObjectInfo& object = (*target)[0];
    if (object.status != from) {
      errors.push_back(MakeError(err::kMetadataUpdateOperationError,
                                 absl::StrCat("Object ", a.target(), " is not ", original->values(0),
                                              "; OriginalStatus must be its current status"),
                                 id));
      continue;
    }
    if (object.kind == ObjectKind::kDocumentEntry) {
      // Only the latest version's status can change.
      DocumentEntryFilter by_uuid;
      by_uuid.entry_uuids = {a.target()};
      auto entry = view.DocumentEntries(by_uuid);
      if (!entry.ok() || entry->empty()) return errors;
      DocumentEntryFilter versions;
      versions.logical_ids = {(*entry)[0].header().logical_id()};
      auto all = view.DocumentEntries(versions);
      if (!all.ok()) return errors;
      for (const DocumentEntry& v : *all) {
        if (VersionNumber(v.header().version()) > VersionNumber((*entry)[0].header().version())) {
          errors.push_back(
              MakeError(err::kMetadataVersionError,
                        absl::StrCat("DocumentEntry ", a.target(), " is version ", (*entry)[0].header().version(),
                                     "; only the latest version (", v.header().version(), ") can change its status"),
                        id));
          break;
        }
      }
    }
    plan->status_changes.emplace_back(a.target(), to);
  }

  // The SubmissionSet's HasMember of each object, for PreviousVersion.
  std::map<std::string, const Association*> member_of_set;
  for (const Association& a : s.associations()) {
    if (a.type() != vocab::kHasMember) continue;
    if (a.source() == ss) member_of_set[a.target()] = &a;
    const Slot* propagation = FindSlot(a.header(), "AssociationPropagation");
    if (propagation != nullptr &&
        (propagation->values_size() != 1 || (propagation->values(0) != "yes" && propagation->values(0) != "no"))) {
      errors.push_back(MakeError(err::kMetadataUpdateError,
                                 absl::StrCat("HasMember ", a.header().entry_uuid(),
                                              ": slot AssociationPropagation takes one value, yes or no"),
                                 a.header().entry_uuid()));
    }
  }
  std::set<std::string> logical_ids;
  std::vector<Association> propagated;
  // One new version (of a DocumentEntry or a Folder): `versions` are the registered ones of
  // its logicalId. Returns the previous (latest) version's entryUUID, "" when refused.
  auto new_version = [&](ObjectHeader* header, const std::string& unique_id, const std::string& patient_id,
                         const std::vector<Version>& versions, const char* what) -> std::string {
    const std::string id = header->entry_uuid();
    const std::string lid = header->logical_id();
    if (!logical_ids.insert(lid).second) {
      errors.push_back(MakeError(err::kMetadataUpdateError,
                                 absl::StrCat("logicalId ", lid, " is updated twice in one request"), id));
      return "";
    }
    const Version* latest = nullptr;
    for (const Version& v : versions) {
      if (latest == nullptr || VersionNumber(v.header.version()) > VersionNumber(latest->header.version())) latest = &v;
    }
    if (latest == nullptr) {
      errors.push_back(MakeError(
          err::kMetadataVersionError,
          absl::StrCat("No registered ", what, " has the logicalId ", lid, ": there is no version to follow"), id));
      return "";
    }
    auto member = member_of_set.find(id);
    const Slot* previous =
        member == member_of_set.end() ? nullptr : FindSlot(member->second->header(), "PreviousVersion");
    if (previous == nullptr || previous->values_size() != 1) {
      errors.push_back(MakeError(err::kMetadataVersionError,
                                 absl::StrCat("The SubmissionSet's HasMember of ", what, " ", id,
                                              " must carry the slot PreviousVersion (the versionName it replaces)"),
                                 id));
      return "";
    }
    if (previous->values(0) != latest->header.version()) {
      errors.push_back(MakeError(err::kMetadataVersionError,
                                 absl::StrCat(what, " ", lid, " is at version ", latest->header.version(),
                                              "; PreviousVersion ", previous->values(0), " is not the latest"),
                                 id));
      return "";
    }
    // The uniqueId names the object; a DocumentEntry's hash and size may be corrected
    // (TF-43 Delayed Document Assembly uses ITI-57 for that), and so may the rest.
    if (latest->unique_id != unique_id) {
      errors.push_back(MakeError(err::kMetadataUpdateError,
                                 absl::StrCat(what, " ", lid, ": uniqueId cannot change in a new version"), id));
    }
    if (latest->patient_id != patient_id) {
      errors.push_back(MakeError(err::kPatientIDReconciliationError,
                                 absl::StrCat(what, " ", lid, ": a new version cannot move it to another patient"),
                                 id));
    }
    header->set_version(absl::StrCat(VersionNumber(latest->header.version()) + 1));
    if (latest->header.status() == APPROVED) plan->status_changes.emplace_back(latest->header.entry_uuid(), DEPRECATED);
    return latest->header.entry_uuid();
  };
  // AssociationPropagation (default yes): the previous version's Folder memberships move
  // to the new one, each recorded in this SubmissionSet (as RPLC does, TF-3 4.2.2.2).
  auto propagate = [&](const std::string& id, const std::string& previous, bool folder) {
    auto member = member_of_set.find(id);
    const Slot* slot =
        member == member_of_set.end() ? nullptr : FindSlot(member->second->header(), "AssociationPropagation");
    if (slot != nullptr && slot->values_size() == 1 && slot->values(0) == "no") return;
    auto around = view.AssociationsOf(previous);
    if (!around.ok()) return;
    for (const Association& old : *around) {
      if (old.type() != vocab::kHasMember || old.header().status() != APPROVED) continue;
      std::string source, target;
      if (folder && old.source() == previous) {
        auto end = view.FindObjects({old.target()});
        if (!end.ok() || end->empty() || (*end)[0].kind != ObjectKind::kDocumentEntry) continue;
        source = id;
        target = old.target();
      } else if (!folder && old.target() == previous) {
        auto end = view.FindObjects({old.source()});
        if (!end.ok() || end->empty() || (*end)[0].kind != ObjectKind::kFolder || (*end)[0].status != APPROVED) {
          continue;
        }
        source = old.source();
        target = id;
        plan->touched_folder_uuids.push_back(source);
      } else {
        continue;
      }
      Association membership = NewAssociation(vocab::kHasMember, source, target);
      Association recorded = NewAssociation(vocab::kHasMember, ss, membership.header().entry_uuid());
      propagated.push_back(std::move(membership));
      propagated.push_back(std::move(recorded));
    }
  };
  // Every DocumentEntry or Folder of an update is a new version of a registered one.
  // `registered(lid)` reads that logicalId's versions; false when the store failed.
  auto versions_of = [&](auto& objects, const char* what, bool folder, auto registered) {
    for (auto& object : objects) {
      const std::string id = object.header().entry_uuid();
      if (!IsNewVersion(object.header())) {
        errors.push_back(MakeError(err::kMetadataUpdateError,
                                   absl::StrCat(what, " ", id, " is a first version (no lid of a registered ", what,
                                                "); first versions are registered with ITI-42"),
                                   id));
        continue;
      }
      std::vector<Version> versions;
      if (!registered(object.header().logical_id(), &versions)) return false;
      std::string previous =
          new_version(object.mutable_header(), object.unique_id(), object.patient_id(), versions, what);
      if (!previous.empty()) propagate(id, previous, folder);
    }
    return true;
  };
  auto document_entries = [&](const std::string& lid, std::vector<Version>* out) {
    DocumentEntryFilter filter;
    filter.logical_ids = {lid};
    auto all = view.DocumentEntries(filter);
    if (!all.ok()) return false;
    for (const DocumentEntry& v : *all) out->push_back({v.header(), v.unique_id(), v.patient_id()});
    return true;
  };
  auto folders = [&](const std::string& lid, std::vector<Version>* out) {
    PackageFilter filter;
    filter.logical_ids = {lid};
    auto all = view.Folders(filter);
    if (!all.ok()) return false;
    for (const Folder& v : *all) out->push_back({v.header(), v.unique_id(), v.patient_id()});
    return true;
  };
  if (!versions_of(*s.mutable_document_entries(), "DocumentEntry", false, document_entries) ||
      !versions_of(*s.mutable_folders(), "Folder", true, folders)) {
    return errors;  // the store noted its failure
  }
  if (errors.empty()) {
    for (Association& a : propagated) *s.add_associations() = std::move(a);
  }
  return errors;
}

// SubmitAssociation: each submitted association joins two registered objects, both
// Approved (XDSRegistryDeprecatedDocumentError) and of one patient
// (XDSPatientIDReconciliationError); its SubmitAssociation comes from the SubmissionSet.
std::vector<RegistryError> CheckSubmitted(RegistryView& view, const Submission& s,
                                          const std::vector<Association>& submitted) {
  std::vector<RegistryError> errors;
  const std::string ss = s.submission_sets_size() == 1 ? s.submission_sets(0).header().entry_uuid() : "";
  for (const Association& a : submitted) {
    if (a.type() == vocab::kSubmitAssociation && a.source() != ss) {
      errors.push_back(MakeError(err::kMetadataUpdateError, "SubmitAssociation must have the SubmissionSet as source",
                                 a.header().entry_uuid()));
    }
  }
  for (const Association& a : submitted) {
    if (a.type() == vocab::kSubmitAssociation) continue;
    const std::string& id = a.header().entry_uuid();
    if (a.type() != vocab::kHasMember && !IsRelationship(a.type())) {
      errors.push_back(MakeError(err::kRegistryMetadataError,
                                 absl::StrCat("Submitted association ", id, " has type ", a.type(),
                                              ", which is not an XDS association type (TF-3 4.2.2)"),
                                 id));
      continue;
    }
    auto existing = view.AssociationsOf(a.source());
    if (!existing.ok()) return errors;
    bool twin = false;
    for (const Association& e : *existing) {
      twin = twin || (e.type() == a.type() && e.source() == a.source() && e.target() == a.target() &&
                      e.header().status() == APPROVED);
    }
    if (twin) {
      errors.push_back(MakeError(err::kMetadataUpdateError,
                                 absl::StrCat("Submitted association ", id, ": an Approved ", a.type(), " from ",
                                              a.source(), " to ", a.target(), " exists already"),
                                 id));
      continue;
    }
    auto ends = view.FindObjects({a.source(), a.target()});
    if (!ends.ok()) return errors;  // the store noted the failure
    if (ends->size() != 2 || (a.type() != vocab::kHasMember && ((*ends)[0].kind != ObjectKind::kDocumentEntry ||
                                                                (*ends)[1].kind != ObjectKind::kDocumentEntry))) {
      errors.push_back(MakeError(err::kUnresolvedReferenceException,
                                 absl::StrCat("Submitted association ", id, " must join two registered ",
                                              a.type() == vocab::kHasMember ? "objects" : "DocumentEntries"),
                                 id));
      continue;
    }
    if ((*ends)[0].status != APPROVED || (*ends)[1].status != APPROVED) {
      errors.push_back(MakeError(err::kRegistryDeprecatedDocumentError,
                                 absl::StrCat("Submitted association ", id, " joins a Deprecated object"), id));
      continue;
    }
    if ((*ends)[0].patient_id != (*ends)[1].patient_id) {
      errors.push_back(MakeError(err::kPatientIDReconciliationError,
                                 absl::StrCat("Submitted association ", id, " joins objects of different patients"),
                                 id));
    }
  }
  return errors;
}

}  // namespace

namespace iti57 {

RegistryResponse UpdateDocumentSet(MetadataStore& store, const RegistryOptions& options, Submission submission,
                                   CallOutcome& outcome) {
  // ITI-42's rules for what is not an update operation (the SubmissionSet, its HasMembers,
  // every new version as a complete DocumentEntry).
  // Submitted associations join registered objects: ITI-42's rules (a relationship's source
  // in the submission) do not apply to them; CheckSubmitted has theirs.
  std::set<std::string> submitted;
  for (const Association& a : submission.associations()) {
    if (a.type() == vocab::kSubmitAssociation) submitted.insert(a.target());
  }
  Submission plain = submission;
  plain.clear_associations();
  for (const Association& a : submission.associations()) {
    if (a.type() != vocab::kUpdateAvailabilityStatus && a.type() != vocab::kSubmitAssociation &&
        !submitted.count(a.header().entry_uuid())) {
      *plain.add_associations() = a;
    }
  }
  std::vector<RegistryError> invalid = ValidateSubmission(plain, options.validation);
  bool has_operation = submission.associations_size() != plain.associations_size();
  for (const DocumentEntry& de : submission.document_entries()) has_operation |= IsNewVersion(de.header());
  for (const Folder& fd : submission.folders()) has_operation |= IsNewVersion(fd.header());
  if (!has_operation) {
    invalid.push_back(MakeError(err::kMetadataUpdateError,
                                "The request holds no update operation (UpdateAvailabilityStatus, a new version of a "
                                "DocumentEntry or Folder, SubmitAssociation)"));
  }
  iti42::AssignIds(&submission);
  WritePlan plan;
  plan.submission = std::move(submission);
  plan.last_update_time = CurrentDtm();
  auto check = [&invalid](RegistryView& view, WritePlan* p) {
    std::vector<RegistryError> errors = invalid;
    // The submitted associations (SubmitAssociation targets) and the SubmitAssociations are
    // set aside while ITI-42's checks run, checked on their own, then stored with the rest.
    std::set<std::string> targets;
    for (const Association& a : p->submission.associations()) {
      if (a.type() == vocab::kSubmitAssociation) targets.insert(a.target());
    }
    std::vector<Association> submitted;
    auto* all = p->submission.mutable_associations();
    for (int i = all->size() - 1; i >= 0; --i) {
      const Association& a = all->Get(i);
      if (!targets.count(a.header().entry_uuid()) && a.type() != vocab::kSubmitAssociation) continue;
      submitted.push_back(all->Get(i));
      all->DeleteSubrange(i, 1);
    }
    for (RegistryError& e : iti42::CheckAgainstRegistry(view, p)) errors.push_back(std::move(e));
    for (RegistryError& e : CheckUpdate(view, p)) errors.push_back(std::move(e));
    for (RegistryError& e : CheckSubmitted(view, p->submission, submitted)) errors.push_back(std::move(e));
    for (Association& a : submitted) *all->Add() = std::move(a);
    return errors;
  };
  auto result = store.Submit(std::move(plan), check, outcome.audit, &outcome.audit_committed);
  if (!result.ok()) {
    outcome.detail = result.status().ToString();
    return FailureResponse({MakeError(err::kRegistryError, "The registry could not store the update; retry later")});
  }
  if (!result->empty()) return FailureResponse(std::move(*result));
  return SuccessResponse();
}

}  // namespace iti57
}  // namespace xds
