// Who is asking, and through what: one CallContext per request, built by the edge that
// received it (SOAP endpoint, gRPC service, later XCA and MHD) and handed with the request
// to the service core (`Registry`, `Repository`). The core passes it to its CallGate
// before the transaction (authorisation) and after it (audit), so every way in is checked
// and recorded the same way.
#ifndef XDS_REGISTRY_SHARED_SERVICE_CALL_CONTEXT_H_
#define XDS_REGISTRY_SHARED_SERVICE_CALL_CONTEXT_H_

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "registry/shared/net/tls.h"

namespace xds {

// What the requester asserts about itself (XUA, ITI-40). Filled once assertions are
// verified; empty until then.
struct RequesterClaims {
  std::string subject_id;
  std::string subject_organization;
  std::string organization_id;
  std::string subject_role;    // the hl7:Role code
  std::string purpose_of_use;  // the hl7:PurposeOfUse code (TREAT, ETREAT, ...)
  std::string resource_id;     // the patient the requester acts for
  std::string home_community_id;
  // Where the claims come from (audit: ITI-40's ParticipantObject / UserName alias).
  std::string subject_name_id;  // saml2:Subject/NameID
  std::string issuer;           // saml2:Issuer, the identity provider
  std::string assertion_id;     // the Assertion's ID
  std::string subject_role_code_system;
  std::string purpose_of_use_code_system;
};

struct CallContext {
  enum class Transport { kSoap, kGrpc, kMllp, kInProcess };

  Transport transport = Transport::kInProcess;
  std::string peer;        // remote address as "ip:port" ("" for in-process callers)
  std::string message_id;  // wsa:MessageID of a SOAP request
  // The node of the verified TLS client certificate: its subject DN, organisation and
  // rights (tls::kRoleConsumer ...); empty over plain transport.
  tls::PeerIdentity node;
  RequesterClaims claims;
  absl::Time received = absl::Now();

  // The organisation the access policy sees: the verified certificate's; where there is no
  // certificate (plain transport on loopback, development) the XUA assertion's.
  const std::string& requester_organization() const {
    return node.subject.empty() ? claims.organization_id : node.organization_id;
  }
};

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_SERVICE_CALL_CONTEXT_H_
