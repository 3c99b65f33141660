// ITI-62 Remove Metadata (RMD supplement, Document Administrator -> Document Registry): deletes
// registry objects by entryUUID, all or nothing, through the store's checked write (the same
// group commit as ITI-42). The RMD text does not spell out the metadata-model checks; these
// follow the NIST toolkit's reg_rm tests (30000-30008), see registry/README.md:
//   - every id must name a registered object                   UnresolvedReferenceException
//   - no remaining association may reference a removed object   ReferencesExistException
//   - no remaining object may lose its last reference: a SubmissionSet its last HasMember, a
//     DocumentEntry or Folder (or a Folder's HasMember) its SubmissionSet's HasMember
//                                                               XDSUnreferencedObjectException
//   - a relationship (RPLC, APND, XFRM, ...) between two remaining documents, whose source is
//     still Approved, cannot be removed alone: the documents would lose their history
//                                                               XDSMetadataModelException
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "registry/registry.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/model/errors.h"

namespace xds {
namespace {

bool IsRelationship(const std::string& type) {
  return type == vocab::kRplc || type == vocab::kXfrmRplc || type == vocab::kApnd || type == vocab::kXfrm ||
         type == vocab::kSigns || type == vocab::kIsSnapshotOf;
}

RegistryError StoreReadError() {
  return MakeError(err::kRegistryError, "The registry could not read its store; retry later");
}

std::vector<RegistryError> CheckRemoval(RegistryView& view, const std::vector<std::string>& ids, WritePlan* plan) {
  std::vector<RegistryError> errors;
  const std::set<std::string> removed(ids.begin(), ids.end());
  auto found = view.FindObjects(ids);
  if (!found.ok()) return {StoreReadError()};
  std::map<std::string, StoredObjectInfo> info;
  for (auto& o : *found) info[o.entry_uuid] = o;
  for (const std::string& id : removed) {
    if (!info.count(id)) {
      errors.push_back(
          MakeError(err::kUnresolvedReferenceException, absl::StrCat("No registry object has the entryUUID ", id), id));
    }
  }
  if (!errors.empty()) return errors;

  // The associations around every removed object, and those removed, once each.
  std::map<std::string, Association> around;
  for (const std::string& id : removed) {
    auto list = view.AssociationsOf(id);
    if (!list.ok()) return {StoreReadError()};
    for (auto& a : *list) around.emplace(a.header().entry_uuid(), std::move(a));
  }
  auto own = view.AssociationsById(ids);  // the removed associations themselves
  if (!own.ok()) return {StoreReadError()};
  for (auto& a : *own) around.emplace(a.header().entry_uuid(), std::move(a));
  auto info_of = [&](const std::string& id) -> const StoredObjectInfo* {
    auto it = info.find(id);
    if (it != info.end()) return &it->second;
    auto more = view.FindObjects({id});
    if (!more.ok() || more->empty()) return nullptr;
    return &info.emplace(id, (*more)[0]).first->second;
  };

  std::set<std::string> ends_to_check;  // remaining objects that lose an association
  for (const auto& [uuid, a] : around) {
    if (removed.count(uuid)) {
      for (const std::string& end : {a.source(), a.target()}) {
        if (!removed.count(end)) ends_to_check.insert(end);
      }
      if (IsRelationship(a.type()) && !removed.count(a.source()) && !removed.count(a.target())) {
        const StoredObjectInfo* source = info_of(a.source());
        if (source != nullptr && source->status == APPROVED) {
          errors.push_back(
              MakeError(err::kMetadataModelException,
                        absl::StrCat("Association ", uuid, " relates DocumentEntry ", a.source(), " to ", a.target(),
                                     "; it can be removed only with one of them (the source is the "
                                     "current version)"),
                        uuid));
        }
      }
      continue;
    }
    // A remaining association that references a removed object.
    const std::string& gone = removed.count(a.source()) ? a.source() : a.target();
    errors.push_back(MakeError(
        err::kReferencesExistException,
        absl::StrCat("Object ", gone, " is still referenced by association ", uuid, "; remove that association too"),
        gone));
  }
  if (!errors.empty()) return errors;

  for (const std::string& end : ends_to_check) {
    const StoredObjectInfo* object = info_of(end);
    if (object == nullptr) continue;  // a dangling reference already: nothing to keep
    auto list = view.AssociationsOf(end);
    if (!list.ok()) return {StoreReadError()};
    bool referenced = false;
    for (const Association& a : *list) {
      if (removed.count(a.header().entry_uuid()) || a.type() != vocab::kHasMember) continue;
      if (object->kind == ObjectKind::kSubmissionSet) {
        referenced = referenced || a.source() == end;
      } else if (a.target() == end) {
        const StoredObjectInfo* source = info_of(a.source());
        referenced = referenced || (source != nullptr && source->kind == ObjectKind::kSubmissionSet);
      }
    }
    // An association end here is a Folder's HasMember losing its SubmissionSet's HasMember.
    if (!referenced) {
      errors.push_back(MakeError(err::kUnreferencedObjectException,
                                 absl::StrCat("Object ", end,
                                              " would remain without the HasMember association that ties it to a "
                                              "SubmissionSet; remove it too, or keep that association"),
                                 end));
    }
  }
  if (errors.empty()) plan->remove_uuids.assign(removed.begin(), removed.end());
  return errors;
}

}  // namespace

namespace iti62 {

RegistryResponse RemoveMetadata(MetadataStore& store, const RemoveMetadataRequest& request, CallOutcome& outcome) {
  std::vector<std::string> ids(request.entry_uuids().begin(), request.entry_uuids().end());
  if (ids.empty()) {
    return FailureResponse(
        {MakeError(err::kRegistryMetadataError, "RemoveObjectsRequest names no object (rim:ObjectRefList is empty)")});
  }
  auto check = [&ids](RegistryView& view, WritePlan* plan) { return CheckRemoval(view, ids, plan); };
  auto result = store.Submit(WritePlan(), check, outcome.audit, &outcome.audit_committed);
  if (!result.ok()) {
    outcome.detail = result.status().ToString();
    return FailureResponse({MakeError(err::kRegistryError, "The registry could not remove the objects; retry later")});
  }
  if (!result->empty()) return FailureResponse(std::move(*result));
  return SuccessResponse();
}

}  // namespace iti62
}  // namespace xds
