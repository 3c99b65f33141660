// BPPC (ITI TF-1 19, TF-3 5.1): a consent document registered through ITI-41/42 sets the
// patient's consent. Its classCode marks it as one (the domain's bppc.class_code); each
// policy OID in its eventCodeList stands for rules the domain's bppc.policies lists. The
// newest consent document's rules replace those of older ones; the consent desk's stay.
#ifndef XDS_REGISTRY_POLICY_BPPC_H_
#define XDS_REGISTRY_POLICY_BPPC_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/xds_metadata.pb.h"
#include "registry/policy/policy.h"

namespace xds::policy {

// True when the domain maps BPPC and `entry` carries its consent classCode.
bool IsConsentDocument(const DomainPolicy& domain, const DocumentEntry& entry);

// When the document takes effect (UTC ms): serviceStartTime, else creationTime.
// InvalidArgument when neither is a DTM.
absl::StatusOr<int64_t> ConsentEffectiveTime(const DocumentEntry& entry);

// The rules `entry` stands for: one per template of each policy OID in its eventCodeList,
// source kBppc, id "bppc:<uniqueId>:<n>", valid from its effective time to its
// serviceStopTime (open when absent). FailedPrecondition when it is not a consent document;
// InvalidArgument when it carries no policy OID, an OID the domain does not map (ignoring
// part of what she signed could share more than she agreed to), or stops before it starts.
absl::StatusOr<std::vector<ConsentRule>> RulesFromConsentDocument(const DomainPolicy& domain,
                                                                  const DocumentEntry& entry);

// Applies `entry` to `patient`: when it is at least as new as the consent document applied
// last, its rules replace every kBppc rule (desk rules stay) and the function returns true;
// an older document arriving late changes nothing and returns false. Errors as
// RulesFromConsentDocument, plus InvalidArgument when the document is another patient's.
// `patient` is unchanged on error.
absl::StatusOr<bool> ApplyConsentDocument(const DomainPolicy& domain, const DocumentEntry& entry,
                                          PatientPolicy* patient);

}  // namespace xds::policy

#endif  // XDS_REGISTRY_POLICY_BPPC_H_
