// The consent desk's wire form of a subject (proto/consent.proto) and the policy engine's,
// mapped in one place for the registry's desk and xdsctl.
#ifndef XDS_REGISTRY_POLICY_CONSENT_SUBJECT_H_
#define XDS_REGISTRY_POLICY_CONSENT_SUBJECT_H_

#include <optional>
#include <string>

#include "proto/consent.pb.h"
#include "registry/policy/policy.h"

namespace xds::policy {

// The engine's subject, or nullopt when the request names no kind. The id is not checked.
inline std::optional<Subject> FromProto(const ConsentSubject& s) {
  switch (s.kind()) {
    case CONSENT_SUBJECT_ANY:
      return Subject{Subject::Kind::kAny, s.id()};
    case CONSENT_SUBJECT_ORGANIZATION:
      return Subject{Subject::Kind::kOrganization, s.id()};
    case CONSENT_SUBJECT_CATEGORY:
      return Subject{Subject::Kind::kCategory, s.id()};
    case CONSENT_SUBJECT_PROFESSIONAL:
      return Subject{Subject::Kind::kProfessional, s.id()};
    default:
      return std::nullopt;
  }
}

// The text form (ToString: "*", "organization:ID", ...), `none` for a request naming no kind.
inline std::string SubjectText(const ConsentSubject& s, const std::string& none) {
  std::optional<Subject> subject = FromProto(s);
  return subject ? ToString(*subject) : none;
}

}  // namespace xds::policy

#endif  // XDS_REGISTRY_POLICY_CONSENT_SUBJECT_H_
