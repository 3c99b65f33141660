// XUA (IHE ITI-40 Cross-Enterprise User Assertion): verifying the SAML 2.0 assertion an
// X-Service User puts in the WS-Security header of ITI-18/41/42/43 requests, reading the
// requester's claims from it, and minting assertions for tests and operators.
//
// XML Signature is done by Debian's xmlsec1 (OpenSSL backend), not by hand: it implements
// exclusive canonicalisation and the enveloped-signature transform to the letter and resolves
// the Reference URI through the ID attribute registered with libxml2 (xmlAddID). A
// hand-rolled canonicaliser or a lookup of "the element with that ID" by walking the tree is
// exactly what XML-signature wrapping attacks feed on: the signature is checked over one
// element while the claims are read from another. Here the only ID registered is the
// Assertion's own, the one Reference must point at it, and the claims are read from that
// same libxml2 node.
#ifndef XDS_REGISTRY_SHARED_XUA_ASSERTION_H_
#define XDS_REGISTRY_SHARED_XUA_ASSERTION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/shared/service/call_context.h"

namespace xds::xua {

// Attribute names of the XUA profile (ITI TF-2 3.40.4.1.2, ITI TF-1 13).
inline constexpr char kAttrSubjectId[] = "urn:oasis:names:tc:xspa:1.0:subject:subject-id";
inline constexpr char kAttrOrganization[] = "urn:oasis:names:tc:xspa:1.0:subject:organization";
inline constexpr char kAttrOrganizationId[] = "urn:oasis:names:tc:xspa:1.0:subject:organization-id";
inline constexpr char kAttrRole[] = "urn:oasis:names:tc:xacml:2.0:subject:role";
inline constexpr char kAttrPurposeOfUse[] = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse";
inline constexpr char kAttrResourceId[] = "urn:oasis:names:tc:xacml:2.0:resource:resource-id";
inline constexpr char kAttrHomeCommunityId[] = "urn:ihe:iti:xca:2010:homeCommunityId";

// HL7 v3 PurposeOfUse (value set 2.16.840.1.113883.1.11.20448) codes are drawn from the
// ActReason code system; the CE carries the code system, not the value set.
inline constexpr char kActReasonCodeSystem[] = "2.16.840.1.113883.5.8";
inline constexpr char kPurposeTreatment[] = "TREAT";
inline constexpr char kPurposeEmergency[] = "ETREAT";

struct XuaConfig {
  std::vector<std::string> idp_certificates;  // PEM files of the trusted identity providers
  // The expected AudienceRestriction/Audience, e.g. the service's endpoint URL or the
  // affinity domain id; empty accepts any audience (not recommended).
  std::string audience;
  absl::Duration clock_skew = absl::Minutes(5);
  bool required = false;  // a request without an assertion is refused
};

// Why an assertion was refused; the SOAP edge maps each onto a WS-Security 1.1 §12 fault
// code (xua/check.h).
enum class Refusal {
  kMalformed,     // not a well-formed SAML 2.0 Assertion with ID, Issuer, Signature, Conditions
  kBadSignature,  // the signature does not verify over the Assertion (tampered, wrapped, wrong Reference)
  kUntrusted,     // well-formed and intact, but not signed by a configured identity provider
  kConditions,    // outside NotBefore/NotOnOrAfter (with skew), or for another audience
};

// The refusal behind a status from Verify (kMalformed for statuses this file did not make).
Refusal RefusalOf(const absl::Status& status);

// The configured identity providers' keys, loaded once. Thread-safe: Verify may run on any
// number of threads at once.
class Verifier {
 public:
  // Fails when a certificate file cannot be read or holds no usable public key.
  static absl::StatusOr<std::unique_ptr<Verifier>> Create(const XuaConfig& config);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  const XuaConfig& config() const { return config_; }

  // `assertion_xml` is one saml2:Assertion element (the document element), with every
  // namespace it uses declared on it or below it. Checks, in this order: well-formed SAML
  // 2.0 Assertion without DTD; exactly one ds:Signature child whose one Reference is
  // "#" + the Assertion's ID; the signature verifies with one of the configured keys (a
  // KeyInfo certificate is never trusted by itself); Issuer present; Conditions NotBefore /
  // NotOnOrAfter hold at `now` within the clock skew; the configured audience is among the
  // AudienceRestriction's. Then reads the claims from that same Assertion.
  absl::StatusOr<RequesterClaims> Verify(std::string_view assertion_xml, absl::Time now) const;

 private:
  struct Keys;
  Verifier(XuaConfig config, std::unique_ptr<Keys> keys);
  XuaConfig config_;
  std::unique_ptr<Keys> keys_;
};

// One-shot form of Verifier::Create + Verify (loads the certificates on every call).
absl::StatusOr<RequesterClaims> VerifyAssertion(std::string_view assertion_xml, const XuaConfig& config,
                                                absl::Time now);

struct MintRequest {
  std::string issuer = "urn:xds:xdsctl";  // saml2:Issuer
  std::string subject_id;                 // NameID and the subject-id attribute
  std::string organization;
  std::string organization_id;
  std::string role_code;  // hl7:Role code
  std::string role_code_system = "2.16.840.1.113883.6.96";
  std::string purpose_of_use = kPurposeTreatment;  // hl7:PurposeOfUse code (ActReason)
  std::string patient_id;                          // resource-id, CX 'ID^^^&OID&ISO'
  std::string home_community_id;                   // optional, urn:oid:...
  std::string audience;
  absl::Time not_before = absl::Now();
  absl::Duration validity = absl::Minutes(60);
};

// A signed saml2:Assertion (no XML declaration, ready to go into a wsse:Security header):
// exclusive c14n, enveloped signature, SHA-256 digest, RSA-SHA256 or ECDSA-SHA256 by the
// key's type, the certificate in KeyInfo.
absl::StatusOr<std::string> MintAssertion(const MintRequest& request, const std::string& key_pem_path,
                                          const std::string& cert_pem_path);

}  // namespace xds::xua

#endif  // XDS_REGISTRY_SHARED_XUA_ASSERTION_H_
