// The Registry's side of the patient identity feed (issue 17, registry/feed/README.md):
// ITI-8 (HL7 v2 over MLLP, registry/iti8) and ITI-44 (HL7 v3 over SOAP, registry/iti44)
// decode their messages into a PatientFeedRequest; this file picks the affinity domain's
// identifier and admits, updates or merges it, as one GatedCall per message.
#include "absl/strings/str_cat.h"
#include "registry/registry.h"
#include "registry/shared/audit/describe.h"

namespace xds {
namespace {

// The identifier of the domain's assigning authority among `ids`, as CX; "" when none.
// An id that cannot be written as CX (it holds a delimiter) is not taken.
std::string DomainId(const std::vector<FeedIdentifier>& ids, const std::string& authority) {
  for (const FeedIdentifier& id : ids) {
    if (id.id.empty() || id.authority_oid.empty()) continue;
    if (!authority.empty() && id.authority_oid != authority) continue;
    if (!id.authority_type.empty() && id.authority_type != "ISO") continue;
    std::string cx = absl::StrCat(id.id, "^^^&", id.authority_oid, "&ISO");
    if (IsCxPatientId(cx)) return cx;
  }
  return "";
}

std::string Listed(const std::vector<FeedIdentifier>& ids) {
  std::string out;
  for (const FeedIdentifier& id : ids) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", id.authority_oid.empty() ? "(no authority)" : id.authority_oid);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

absl::StatusOr<PatientFeedResult> Registry::PatientFeed(const CallContext& context, std::string_view transaction,
                                                        const PatientFeedRequest& request) {
  GatedCall call(gate_, context, transaction);
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  using Kind = PatientFeedRequest::Kind;
  using Refusal = PatientFeedResult::Refusal;
  if (request.kind != Kind::kAdd) call.event().set_action("U");
  PatientFeedResult result;
  auto refuse = [&](Refusal why, std::string text) -> absl::StatusOr<PatientFeedResult> {
    result.refusal = why;
    result.refusal_text = std::move(text);
    call.outcome().Fail("XDSUnknownPatientId", result.refusal_text);
    call.event().set_detail(result.refusal_text);
    if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
    return result;
  };

  const std::string& authority = options_.patient_authority;
  result.patient_id = DomainId(request.patient_ids, authority);
  if (result.patient_id.empty()) {
    return refuse(Refusal::kNoDomainPatientId,
                  absl::StrCat("no patient identifier of the affinity domain's assigning authority ", authority,
                               " (the message names: ", Listed(request.patient_ids), ")"));
  }
  audit::AddPatient(result.patient_id, &call.event());
  absl::StatusOr<PatientLinks> links = store_->PatientLinksOf(result.patient_id);
  if (!links.ok()) return Unavailable(links.status(), call.outcome());
  if (!links->merged_into.empty()) {
    return refuse(Refusal::kMergedAway,
                  absl::StrCat("patient id ", result.patient_id, " was merged into another id and is no longer used"));
  }

  if (request.kind != Kind::kMerge) {
    // An update names a patient the source knows: one new to the registry is admitted too.
    absl::StatusOr<bool> created = store_->AddPatient(result.patient_id);
    if (!created.ok()) return Unavailable(created.status(), call.outcome());
    result.created = *created;
    call.event().set_detail(*created ? "admitted" : "already known");
    if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
    return result;
  }

  result.subsumed_id = DomainId(request.prior_ids, authority);
  if (result.subsumed_id.empty()) {
    return refuse(Refusal::kNoDomainPriorId,
                  absl::StrCat("no prior (subsumed) patient identifier of the affinity domain's assigning authority ",
                               authority, " (the message names: ", Listed(request.prior_ids), ")"));
  }
  audit::AddPatient(result.subsumed_id, &call.event());
  if (result.subsumed_id == result.patient_id) {
    // A merge within one domain id (only local ids changed, NIST 16103): nothing to move.
    call.event().set_detail("subsumed and surviving ids are the same: nothing to merge");
    if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
    return result;
  }
  call.event().set_detail(absl::StrCat("merged ", result.subsumed_id, " into ", result.patient_id));
  absl::StatusOr<PatientMergeResult> merged = store_->MergePatients(
      result.subsumed_id, result.patient_id, call.outcome().audit, &call.outcome().audit_committed);
  if (absl::IsFailedPrecondition(merged.status())) {
    return refuse(Refusal::kMergedAway, std::string(merged.status().message()));
  }
  if (!merged.ok()) return Unavailable(merged.status(), call.outcome());
  // Her documents moved to another patient id, whose consent now decides who sees them:
  // the repositories drop the decisions they cached.
  policy_generation_.Advance();
  result.merge = *merged;
  result.created = merged->surviving_added;
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return result;
}

absl::StatusOr<PatientLinks> Registry::PatientLinksOf(const CallContext& context, const std::string& patient_id) {
  GatedCall call(gate_, context, "PatientLinks");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  audit::AddPatient(patient_id, &call.event());
  absl::StatusOr<PatientLinks> links = store_->PatientLinksOf(patient_id);
  if (!links.ok()) return Unavailable(links.status(), call.outcome());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return links;
}

}  // namespace xds
