// The registry's one access decision point (issue 16): what one requester may see of the
// registry's DocumentEntries, SubmissionSets, Folders and Associations during one call.
// ITI-18 filters its answer through it (in SQL where it can: DocumentEntryFilter::visibility)
// and the repository's ITI-43 asks it over gRPC (Registry::AccessDecision). Built on the
// pure engine of registry/policy; the patient policies are read once per call.
//
// What is hidden (nothing may betray it, TF-level answers stay Success):
//   - a DocumentEntry the policy denies;
//   - a SubmissionSet or Folder whose DocumentEntry members are all hidden, or that has
//     none and whose patient shows the requester nothing at all;
//   - an Association with a hidden end.
#ifndef XDS_REGISTRY_ACCESS_ACCESS_GUARD_H_
#define XDS_REGISTRY_ACCESS_ACCESS_GUARD_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/access/policy_cache.h"
#include "registry/policy/decide.h"
#include "registry/policy/policy.h"
#include "registry/shared/service/call_context.h"
#include "registry/store/metadata_store.h"

namespace xds {

// Who asks, as the policy sees it: CallContext::requester_organization(), the XUA subject
// and purpose of use.
policy::Requester RequesterOf(const CallContext& context);

class AccessGuard {
 public:
  // `policies` supplies the patients' policies (the registry's cache of the store's).
  AccessGuard(MetadataStore& store, PolicyCache& policies, const policy::DomainPolicy& domain,
              policy::Requester requester, absl::Time now);

  // What the requester may see of `patient_id` (read once per guard).
  absl::StatusOr<const policy::Visibility*> For(const std::string& patient_id);

  // The entries among `rows` the requester may see (their entry_uuids). Counts the
  // break-the-glass admissions, and names them in `break_the_glass` when not null.
  absl::StatusOr<std::set<std::string>> Admit(const std::vector<DocumentAccess>& rows,
                                              std::set<std::string>* break_the_glass = nullptr);

  // The uuids among `uuids` that are hidden objects: DocumentEntries the policy denies and
  // SubmissionSets/Folders hidden by the rule above. Associations and unknown uuids are
  // never in the result.
  absl::StatusOr<std::set<std::string>> Hidden(const std::vector<std::string>& uuids);

  // The DocumentEntries among `documents` (entryUUIDs known to be DocumentEntries) that
  // the policy hides.
  absl::StatusOr<std::set<std::string>> HiddenDocuments(const std::vector<std::string>& documents);

  // Packages (SubmissionSets, Folders) among `packages` (entry_uuid -> patient) that are hidden.
  absl::StatusOr<std::set<std::string>> HiddenPackages(const std::map<std::string, std::string>& packages);

  // For the call's audit event: what the policy did.
  int hidden_count() const { return hidden_; }
  int break_the_glass_count() const { return break_the_glass_; }
  void NoteHidden(int n) { hidden_ += n; }
  // "access policy: ..." for the event's detail; empty when the policy changed nothing.
  std::string Summary() const;

 private:
  MetadataStore& store_;
  PolicyCache& policies_;
  const policy::DomainPolicy& domain_;
  const policy::Requester requester_;
  const absl::Time now_;
  std::map<std::string, policy::Visibility> visibility_;  // per patient
  int hidden_ = 0;
  int break_the_glass_ = 0;
};

}  // namespace xds

#endif  // XDS_REGISTRY_ACCESS_ACCESS_GUARD_H_
