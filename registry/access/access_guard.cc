#include "registry/access/access_guard.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/vocabulary.h"

namespace xds {

policy::Requester RequesterOf(const CallContext& context) {
  policy::Requester r;
  r.organization_id = context.requester_organization();
  r.professional_id = context.claims.subject_id;
  r.purpose_of_use = context.claims.purpose_of_use;
  return r;
}

AccessGuard::AccessGuard(MetadataStore& store, PolicyCache& policies, const policy::DomainPolicy& domain,
                         policy::Requester requester, absl::Time now)
    : store_(store), policies_(policies), domain_(domain), requester_(std::move(requester)), now_(now) {}

absl::StatusOr<const policy::Visibility*> AccessGuard::For(const std::string& patient_id) {
  auto it = visibility_.find(patient_id);
  if (it != visibility_.end()) return &it->second;
  absl::StatusOr<policy::PatientPolicy> patient = policies_.Get(patient_id);
  if (!patient.ok()) return patient.status();
  policy::Visibility v = policy::VisibleCategories(domain_, *patient, requester_, patient_id, now_);
  return &visibility_.emplace(patient_id, std::move(v)).first->second;
}

absl::StatusOr<std::set<std::string>> AccessGuard::Admit(const std::vector<DocumentAccess>& rows,
                                                         std::set<std::string>* break_the_glass) {
  std::set<std::string> admitted;
  for (const DocumentAccess& row : rows) {
    absl::StatusOr<const policy::Visibility*> v = For(row.patient_id);
    if (!v.ok()) return v.status();
    bool btg = false;
    if ((*v)->Admits(row.submitting_organization, row.data_category, row.restricted, &btg)) {
      admitted.insert(row.entry_uuid);
      if (btg) ++break_the_glass_;
      if (btg && break_the_glass != nullptr) break_the_glass->insert(row.entry_uuid);
    }
  }
  return admitted;
}

absl::StatusOr<std::set<std::string>> AccessGuard::HiddenPackages(const std::map<std::string, std::string>& packages) {
  std::set<std::string> hidden;
  if (packages.empty()) return hidden;
  std::vector<std::string> ids;
  for (const auto& [uuid, patient] : packages) ids.push_back(uuid);
  absl::StatusOr<std::vector<Association>> members = store_.FindAssociations(ids, {vocab::kHasMember});
  if (!members.ok()) return members.status();
  std::map<std::string, std::vector<std::string>> documents_of;  // package -> member targets
  std::vector<std::string> targets;
  for (const Association& as : *members) {
    if (!packages.count(as.source())) continue;
    documents_of[as.source()].push_back(as.target());
    targets.push_back(as.target());
  }
  absl::StatusOr<std::vector<DocumentAccess>> rows = store_.DocumentAccessOf(targets);
  if (!rows.ok()) return rows.status();
  std::set<std::string> documents;  // the targets that are DocumentEntries
  for (const DocumentAccess& row : *rows) documents.insert(row.entry_uuid);
  absl::StatusOr<std::set<std::string>> visible = Admit(*rows);
  if (!visible.ok()) return visible.status();
  for (const auto& [uuid, patient] : packages) {
    bool has_document = false, shows_one = false;
    for (const std::string& target : documents_of[uuid]) {
      if (!documents.count(target)) continue;
      has_document = true;
      shows_one = shows_one || visible->count(target) > 0;
    }
    if (has_document) {
      if (!shows_one) hidden.insert(uuid);
      continue;
    }
    absl::StatusOr<const policy::Visibility*> v = For(patient);
    if (!v.ok()) return v.status();
    if ((*v)->categories.empty() && !(*v)->restricted_visible) hidden.insert(uuid);
  }
  return hidden;
}

absl::StatusOr<std::set<std::string>> AccessGuard::HiddenDocuments(const std::vector<std::string>& documents) {
  absl::StatusOr<std::vector<DocumentAccess>> rows = store_.DocumentAccessOf(documents);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::set<std::string>> visible = Admit(*rows);
  if (!visible.ok()) return visible.status();
  std::set<std::string> hidden;
  for (const std::string& uuid : documents) {
    if (!visible->count(uuid)) hidden.insert(uuid);
  }
  return hidden;
}

absl::StatusOr<std::set<std::string>> AccessGuard::Hidden(const std::vector<std::string>& uuids) {
  std::set<std::string> hidden;
  if (uuids.empty()) return hidden;
  absl::StatusOr<std::vector<StoredObjectInfo>> objects = store_.FindObjects(uuids);
  if (!objects.ok()) return objects.status();
  std::vector<std::string> documents;
  std::map<std::string, std::string> packages;
  for (const StoredObjectInfo& o : *objects) {
    if (o.kind == ObjectKind::kDocumentEntry) documents.push_back(o.entry_uuid);
    if (o.kind == ObjectKind::kSubmissionSet || o.kind == ObjectKind::kFolder) packages[o.entry_uuid] = o.patient_id;
  }
  absl::StatusOr<std::set<std::string>> hidden_documents = HiddenDocuments(documents);
  if (!hidden_documents.ok()) return hidden_documents.status();
  hidden = *std::move(hidden_documents);
  absl::StatusOr<std::set<std::string>> hidden_packages = HiddenPackages(packages);
  if (!hidden_packages.ok()) return hidden_packages.status();
  hidden.insert(hidden_packages->begin(), hidden_packages->end());
  return hidden;
}

std::string AccessGuard::Summary() const {
  std::string summary;
  for (const auto& [patient, v] : visibility_) {
    std::string categories;
    for (const auto& [category, btg] : v.categories) {
      absl::StrAppend(&categories, categories.empty() ? "" : ",", category, btg ? "(break-the-glass)" : "");
    }
    if (v.restricted_visible) absl::StrAppend(&categories, categories.empty() ? "" : ",", "restricted");
    absl::StrAppend(&summary, summary.empty() ? "access policy: " : "; ", patient, " shows ",
                    categories.empty() ? "own submissions only" : categories);
  }
  if (hidden_ > 0) absl::StrAppend(&summary, "; ", hidden_, " objects hidden");
  if (break_the_glass_ > 0) absl::StrAppend(&summary, "; ", break_the_glass_, " entries by break-the-glass");
  return summary;
}

}  // namespace xds
