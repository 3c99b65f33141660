// The SOAP edge of XUA (IHE ITI-40): what both services' endpoints call after
// soap::ParseRequest and before decoding the body, so that a request whose assertion is
// missing (where required) or refused is answered with a SOAP Fault and nothing of it is
// processed.
//
// Fault codes (ITI TF-2b 3.40.4.1.3: a failed validation is answered "with an error code as
// described in WS-Security core specification Section 12", i.e. a SOAP 1.2 Fault with Code
// env:Sender and one of the wsse: fault codes as Subcode):
//
//   no assertion, XUA required ............ wsse:FailedAuthentication  (the requester could
//                                            not be authenticated: there was no token)
//   not a SAML 2.0 Assertion, no ID / Issuer / Conditions / Signature, several Assertions,
//   a DTD, an algorithm other than RSA/ECDSA with SHA-2 .................. wsse:InvalidSecurityToken
//   the signature does not verify over the Assertion (content changed after signing, the
//   Reference is not to the Assertion itself) ............................ wsse:FailedCheck
//   intact, but not signed by a configured identity provider;
//   expired, not yet valid, or for another audience ...................... wsse:FailedAuthentication
//   a mustUnderstand wsse:Security with an Assertion on a service that has no identity
//   provider configured ........................ env:MustUnderstand (it cannot be processed)
//
// The Fault's Reason says which check failed in the sender's terms, never a file path.
#ifndef XDS_REGISTRY_SHARED_XUA_CHECK_H_
#define XDS_REGISTRY_SHARED_XUA_CHECK_H_

#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "registry/shared/service/call_context.h"
#include "registry/shared/soap/soap_envelope.h"
#include "registry/shared/xua/assertion.h"

namespace xds::xua {

// Checks the request's wsse:Security header against `verifier`'s configuration. Returns the
// Fault to answer, or nullopt to go on; then `claims` holds the verified claims (it is left
// untouched when the request carries no assertion and none is required).
std::optional<soap::Fault> Check(const soap::Request& request, const Verifier& verifier, RequesterClaims* claims,
                                 absl::Time now = absl::Now());

// One-shot form (loads the IdP certificates on every call; a certificate that cannot be
// loaded answers a Receiver fault). Services should build one Verifier at start-up.
std::optional<soap::Fault> Check(const soap::Request& request, const XuaConfig& config, RequesterClaims* claims);

}  // namespace xds::xua

#endif  // XDS_REGISTRY_SHARED_XUA_CHECK_H_
