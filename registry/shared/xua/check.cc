#include "registry/shared/xua/check.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace xds::xua {
namespace {

soap::Fault WsseFault(const char* subcode, std::string reason) {
  soap::Fault fault;
  fault.code = "Sender";
  fault.subcode = absl::StrCat("wsse:", subcode);
  fault.subcode_namespace = soap::kWsseNs;
  fault.reason = std::move(reason);
  return fault;
}

const char* SubcodeOf(Refusal refusal) {
  switch (refusal) {
    case Refusal::kBadSignature:
      return "FailedCheck";
    case Refusal::kUntrusted:
    case Refusal::kConditions:
      return "FailedAuthentication";
    case Refusal::kMalformed:
      break;
  }
  return "InvalidSecurityToken";
}

}  // namespace

std::optional<soap::Fault> Check(const soap::Request& request, const Verifier& verifier, RequesterClaims* claims,
                                 absl::Time now) {
  const soap::SecurityHeader& security = request.security;
  const XuaConfig& config = verifier.config();
  const bool has_assertion = !security.assertions.empty() || security.unreadable;
  if (!has_assertion) {
    if (!config.required) return std::nullopt;
    return WsseFault("FailedAuthentication",
                     "A SAML 2.0 assertion (IHE XUA) in the wsse:Security header is required by this service");
  }
  if (config.idp_certificates.empty()) {
    if (!security.must_understand) return std::nullopt;
    soap::Fault fault;
    fault.code = "MustUnderstand";
    fault.reason = "The wsse:Security header is marked mustUnderstand, but this service verifies no XUA assertions";
    return fault;
  }
  if (security.unreadable) {
    return WsseFault("InvalidSecurityToken", "The SAML assertion could not be read from the request (UTF-8 expected)");
  }
  if (security.assertions.size() != 1) {
    return WsseFault("InvalidSecurityToken", "The wsse:Security header must carry exactly one SAML 2.0 assertion");
  }
  auto verified = verifier.Verify(security.assertions.front(), now);
  if (!verified.ok()) {
    return WsseFault(SubcodeOf(RefusalOf(verified.status())),
                     absl::StrCat("XUA assertion refused: ", verified.status().message()));
  }
  *claims = std::move(*verified);
  return std::nullopt;
}

std::optional<soap::Fault> Check(const soap::Request& request, const XuaConfig& config, RequesterClaims* claims) {
  auto verifier = Verifier::Create(config);
  if (!verifier.ok()) {
    soap::Fault fault;
    fault.code = "Receiver";
    fault.reason = "The service's XUA configuration cannot be loaded";
    return fault;
  }
  return Check(request, **verifier, claims);
}

}  // namespace xds::xua
