// The consent desk of issue 16 (proto/consent.proto): the Registry's verbs that record a
// patient's consent rules, treatment relationships and exclusions. Each is a GatedCall of
// its own transaction (administrators only, see call_gate.cc) whose audit event names her
// and what changed, committed in the same transaction as the change.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "registry/policy/consent_subject.h"
#include "registry/registry.h"
#include "registry/shared/audit/describe.h"

namespace xds {
namespace {

std::string Dtm(int64_t ms) { return absl::FormatTime("%Y%m%d%H%M%S", absl::FromUnixMillis(ms), absl::UTCTimeZone()); }

// " from DTM until DTM", each part only when bounded.
std::string Window(int64_t from, int64_t to, const char* from_word = " from ", const char* to_word = " until ") {
  std::string out;
  if (from != 0) absl::StrAppend(&out, from_word, Dtm(from));
  if (to != 0) absl::StrAppend(&out, to_word, Dtm(to));
  return out;
}

absl::StatusOr<policy::Subject> SubjectOf(const ConsentSubject& s, bool rule, const RegistryOptions& options) {
  using Kind = policy::Subject::Kind;
  switch (s.kind()) {
    case CONSENT_SUBJECT_ANY:
      if (!rule)
        return absl::InvalidArgumentError("relationships and exclusions name one organisation or professional");
      if (!s.id().empty()) return absl::InvalidArgumentError("the subject 'everyone' takes no id");
      return policy::Subject{Kind::kAny, ""};
    case CONSENT_SUBJECT_CATEGORY:
      if (!rule)
        return absl::InvalidArgumentError("relationships and exclusions name one organisation or professional");
      if (s.id().empty()) return absl::InvalidArgumentError("the organisation category is empty");
      if (options.domain_policy) {
        const policy::DomainPolicy& d = *options.domain_policy;
        std::set<std::string> known{d.default_organization_category};
        for (const auto& [org, category] : d.organization_categories) known.insert(category);
        if (!known.count(s.id())) {
          return absl::InvalidArgumentError(
              absl::StrCat("'", s.id(), "' is no organisation category of the affinity domain ", d.domain));
        }
      }
      return policy::Subject{Kind::kCategory, s.id()};
    case CONSENT_SUBJECT_ORGANIZATION:
    case CONSENT_SUBJECT_PROFESSIONAL:
      if (s.id().empty()) return absl::InvalidArgumentError("the organisation or professional id is empty");
      return policy::Subject{s.kind() == CONSENT_SUBJECT_ORGANIZATION ? Kind::kOrganization : Kind::kProfessional,
                             s.id()};
    default:
      return absl::InvalidArgumentError(
          "name the subject: an organisation, an organisation category or a professional");
  }
}

ConsentSubject ToProto(const policy::Subject& s) {
  ConsentSubject out;
  using Kind = policy::Subject::Kind;
  out.set_kind(s.kind == Kind::kAny            ? CONSENT_SUBJECT_ANY
               : s.kind == Kind::kOrganization ? CONSENT_SUBJECT_ORGANIZATION
               : s.kind == Kind::kCategory     ? CONSENT_SUBJECT_CATEGORY
                                               : CONSENT_SUBJECT_PROFESSIONAL);
  out.set_id(s.id);
  return out;
}

PatientConsent ToProto(const policy::PatientPolicy& p) {
  PatientConsent out;
  out.set_patient_id(p.patient_id);
  for (const policy::ConsentRule& r : p.rules) {
    ConsentRule* o = out.add_rules();
    o->set_id(r.id);
    o->set_effect(r.effect == policy::Effect::kPermit ? CONSENT_PERMIT : CONSENT_DENY);
    *o->mutable_subject() = ToProto(r.subject);
    o->set_data_category(r.data_category);
    o->set_valid_from_ms(r.valid_from);
    o->set_valid_to_ms(r.valid_to);
    o->set_source(r.source == policy::RuleSource::kDesk ? "desk" : "bppc");
    o->set_source_document(r.source_document);
  }
  for (const policy::TreatmentRelationship& r : p.relationships) {
    TreatmentRelationship* o = out.add_relationships();
    *o->mutable_subject() = ToProto(r.subject);
    o->set_start_ms(r.start);
    o->set_end_ms(r.end);
  }
  for (const policy::Exclusion& e : p.exclusions) {
    ConsentExclusion* o = out.add_exclusions();
    *o->mutable_subject() = ToProto(e.subject);
    o->set_valid_from_ms(e.valid_from);
    o->set_valid_to_ms(e.valid_to);
  }
  out.set_bppc_document(p.bppc_document);
  out.set_bppc_effective_ms(p.bppc_effective);
  return out;
}

absl::StatusOr<std::string> DataCategoryOf(const std::string& requested, const RegistryOptions& options) {
  std::string category = requested.empty() ? policy::kAny : requested;
  if (category != policy::kAny && options.domain_policy && !options.domain_policy->DataCategories().count(category)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", category, "' is no data category of the affinity domain ", options.domain_policy->domain));
  }
  return category;
}

int64_t NowMs(const CallContext& context) { return absl::ToUnixMillis(context.received); }

}  // namespace

absl::StatusOr<ConsentChangeResponse> Registry::ChangeConsent(
    const CallContext& context, std::string_view transaction, const std::string& patient_id,
    const std::function<absl::StatusOr<PolicyChange>(std::string* detail)>& build) {
  GatedCall call(gate_, context, transaction);
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  if (patient_id.empty()) {
    return Denied(absl::InvalidArgumentError("consent is per patient: give her patient id"), call.outcome());
  }
  // Her access log shows every attempt to change her consent, refused ones too.
  audit::AddPatient(patient_id, &call.event());
  std::string detail;
  absl::StatusOr<PolicyChange> change = build(&detail);
  call.event().set_detail(detail);
  if (!change.ok()) return Denied(change.status(), call.outcome());
  change->patient_id = patient_id;
  absl::StatusOr<PolicyChangeResult> result =
      store_->ChangePatientPolicy(*change, call.outcome().audit, &call.outcome().audit_committed);
  if (absl::IsNotFound(result.status())) return Denied(result.status(), call.outcome());
  if (!result.ok()) return Unavailable(result.status(), call.outcome());
  // Before the answer: the repositories drop their cached decisions now.
  if (result->changed) policy_generation_.Advance();
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  ConsentChangeResponse response;
  response.set_changed(result->changed);
  for (const std::string& id : result->rule_ids) response.add_rule_ids(id);
  *response.mutable_consent() = ToProto(result->policy);
  return response;
}

absl::StatusOr<ConsentChangeResponse> Registry::ConsentAddRule(const CallContext& context,
                                                               const ConsentRuleRequest& request,
                                                               policy::Effect effect) {
  const bool permit = effect == policy::Effect::kPermit;
  return ChangeConsent(
      context, permit ? "ConsentGrant" : "ConsentDeny", request.patient_id(),
      [&](std::string* detail) -> absl::StatusOr<PolicyChange> {
        PolicyChange c;
        c.kind = PolicyChange::Kind::kAddRule;
        *detail =
            absl::StrCat(permit ? "permit " : "deny ", policy::SubjectText(request.subject(), "(no subject)"),
                         " data category ", request.data_category().empty() ? policy::kAny : request.data_category(),
                         Window(request.valid_from_ms(), request.valid_to_ms()));
        absl::StatusOr<policy::Subject> subject = SubjectOf(request.subject(), /*rule=*/true, options_);
        if (!subject.ok()) return subject.status();
        absl::StatusOr<std::string> category = DataCategoryOf(request.data_category(), options_);
        if (!category.ok()) return category.status();
        if (request.valid_from_ms() < 0 || request.valid_to_ms() < 0 ||
            (request.valid_to_ms() != 0 && request.valid_to_ms() <= request.valid_from_ms())) {
          return absl::InvalidArgumentError("the rule's validity must end after it starts");
        }
        c.rule.effect = effect;
        c.rule.subject = *std::move(subject);
        c.rule.data_category = *std::move(category);
        c.rule.valid_from = request.valid_from_ms();
        c.rule.valid_to = request.valid_to_ms();
        c.rule.source = policy::RuleSource::kDesk;
        return c;
      });
}

absl::StatusOr<ConsentChangeResponse> Registry::ConsentRevoke(const CallContext& context,
                                                              const ConsentRevokeRequest& request) {
  return ChangeConsent(
      context, "ConsentRevoke", request.patient_id(), [&](std::string* detail) -> absl::StatusOr<PolicyChange> {
        PolicyChange c;
        const bool by_subject = request.subject().kind() != CONSENT_SUBJECT_UNSPECIFIED;
        *detail = by_subject ? absl::StrCat("revoke ", policy::SubjectText(request.subject(), "(no subject)"),
                                            request.data_category().empty()
                                                ? ""
                                                : absl::StrCat(" data category ", request.data_category()))
                             : absl::StrCat("revoke rule ", request.rule_id());
        if (request.rule_id().empty() == !by_subject) {
          return absl::InvalidArgumentError("revoke one rule by its id, or every rule of a subject (not both)");
        }
        if (!by_subject) {
          if (!request.data_category().empty()) {
            return absl::InvalidArgumentError("a data category narrows a revocation by subject, not by rule id");
          }
          c.kind = PolicyChange::Kind::kRevokeRule;
          c.rule_id = request.rule_id();
          return c;
        }
        absl::StatusOr<policy::Subject> subject = SubjectOf(request.subject(), /*rule=*/true, options_);
        if (!subject.ok()) return subject.status();
        c.kind = PolicyChange::Kind::kRevokeSubject;
        c.subject = *std::move(subject);
        c.data_category = request.data_category();
        return c;
      });
}

absl::StatusOr<ConsentChangeResponse> Registry::ConsentRelationship(const CallContext& context,
                                                                    const ConsentSubjectRequest& request, bool start) {
  return ChangeConsent(context, start ? "ConsentRelationshipStart" : "ConsentRelationshipEnd", request.patient_id(),
                       [&](std::string* detail) -> absl::StatusOr<PolicyChange> {
                         PolicyChange c;
                         c.kind = start ? PolicyChange::Kind::kStartRelationship : PolicyChange::Kind::kEndRelationship;
                         absl::StatusOr<policy::Subject> subject =
                             SubjectOf(request.subject(), /*rule=*/false, options_);
                         if (!subject.ok()) return subject.status();
                         c.subject = *std::move(subject);
                         c.at_ms = NowMs(context);
                         *detail = absl::StrCat(start ? "start" : "end", " treatment relationship with ",
                                                policy::ToString(c.subject), " at ", Dtm(c.at_ms));
                         return c;
                       });
}

absl::StatusOr<ConsentChangeResponse> Registry::ConsentExclusion(const CallContext& context,
                                                                 const ConsentSubjectRequest& request, bool exclude) {
  return ChangeConsent(
      context, exclude ? "ConsentExclude" : "ConsentUnexclude", request.patient_id(),
      [&](std::string* detail) -> absl::StatusOr<PolicyChange> {
        PolicyChange c;
        c.kind = exclude ? PolicyChange::Kind::kExclude : PolicyChange::Kind::kUnexclude;
        c.at_ms = NowMs(context);
        *detail = absl::StrCat(exclude ? "exclude " : "lift exclusion of ",
                               policy::SubjectText(request.subject(), "(no subject)"), " at ", Dtm(c.at_ms));
        absl::StatusOr<policy::Subject> subject = SubjectOf(request.subject(), /*rule=*/false, options_);
        if (!subject.ok()) return subject.status();
        c.subject = *std::move(subject);
        return c;
      });
}

absl::StatusOr<PatientConsent> Registry::ConsentList(const CallContext& context, const ConsentListRequest& request) {
  GatedCall call(gate_, context, "ConsentList");
  if (!call.admitted().ok()) return Denied(call.admitted(), call.outcome());
  if (request.patient_id().empty()) {
    return Denied(absl::InvalidArgumentError("consent is per patient: give her patient id"), call.outcome());
  }
  // Reading her consent is an access to her data: in her log too.
  audit::AddPatient(request.patient_id(), &call.event());
  absl::StatusOr<policy::PatientPolicy> policy = store_->PatientPolicyOf(request.patient_id());
  if (absl::IsNotFound(policy.status())) return Denied(policy.status(), call.outcome());
  if (!policy.ok()) return Unavailable(policy.status(), call.outcome());
  if (absl::Status recorded = call.Close(); !recorded.ok()) return recorded;
  return ToProto(*policy);
}

}  // namespace xds
