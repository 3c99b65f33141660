#include "registry/shared/xua/assertion.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "registry/shared/xua/test_idp.h"

namespace xds::xua {
namespace {

using testing::MakeTestIdp;
using testing::TestIdp;

constexpr char kAudience[] = "https://registry.example.org/xds/registry";
const absl::Time kIssued = absl::FromUnixSeconds(1'900'000'000);

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir ? dir : "/tmp";
}

// Made once: key generation (RSA especially) is the slow part.
const TestIdp& Idp() {
  static const TestIdp idp = MakeTestIdp(TmpDir(), "idp-ec");
  return idp;
}
const TestIdp& RsaIdp() {
  static const TestIdp idp = MakeTestIdp(TmpDir(), "idp-rsa", /*rsa=*/true);
  return idp;
}
const TestIdp& ForeignIdp() {
  static const TestIdp idp = MakeTestIdp(TmpDir(), "idp-foreign");
  return idp;
}

MintRequest Request() {
  MintRequest r;
  r.issuer = "https://idp.example.org";
  r.subject_id = "dr-jansen";
  r.organization = "Maternity Clinic North";
  r.organization_id = "urn:oid:2.999.1.2";
  r.role_code = "158965000";
  r.purpose_of_use = kPurposeTreatment;
  r.patient_id = "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO";
  r.home_community_id = "urn:oid:2.999.1";
  r.audience = kAudience;
  r.not_before = kIssued;
  r.validity = absl::Minutes(60);
  return r;
}

std::string Mint(const TestIdp& idp, const MintRequest& request = Request()) {
  auto xml = MintAssertion(request, idp.key_path, idp.cert_path);
  EXPECT_TRUE(xml.ok()) << xml.status();
  return xml.ok() ? *xml : "";
}

XuaConfig Config(const TestIdp& idp = Idp()) {
  XuaConfig config;
  config.idp_certificates = {idp.cert_path};
  config.audience = kAudience;
  return config;
}

absl::StatusOr<RequesterClaims> Verify(std::string_view xml, const XuaConfig& config = Config(),
                                       absl::Time now = kIssued + absl::Minutes(1)) {
  return VerifyAssertion(xml, config, now);
}

TEST(XuaAssertion, ValidAssertionGivesItsClaims) {
  auto claims = Verify(Mint(Idp()));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject_id, "dr-jansen");
  EXPECT_EQ(claims->subject_name_id, "dr-jansen");
  EXPECT_EQ(claims->subject_organization, "Maternity Clinic North");
  EXPECT_EQ(claims->organization_id, "urn:oid:2.999.1.2");
  EXPECT_EQ(claims->subject_role, "158965000");
  EXPECT_EQ(claims->subject_role_code_system, "2.16.840.1.113883.6.96");
  EXPECT_EQ(claims->purpose_of_use, "TREAT");
  EXPECT_EQ(claims->purpose_of_use_code_system, kActReasonCodeSystem);
  EXPECT_EQ(claims->resource_id, "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
  EXPECT_EQ(claims->home_community_id, "urn:oid:2.999.1");
  EXPECT_EQ(claims->issuer, "https://idp.example.org");
  EXPECT_FALSE(claims->assertion_id.empty());
}

TEST(XuaAssertion, RsaSignedAssertionVerifiesAmongSeveralIdps) {
  XuaConfig config = Config();
  config.idp_certificates.push_back(RsaIdp().cert_path);
  const std::string xml = Mint(RsaIdp());
  EXPECT_NE(xml.find("rsa-sha256"), std::string::npos);
  auto claims = Verify(xml, config);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject_id, "dr-jansen");
}

TEST(XuaAssertion, VerifierIsReusable) {
  auto verifier = Verifier::Create(Config());
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE((*verifier)->Verify(Mint(Idp()), kIssued).ok());
}

TEST(XuaAssertion, MissingCertificateFileFailsAtCreation) {
  XuaConfig config;
  config.idp_certificates = {TmpDir() + "/no-such.crt"};
  EXPECT_FALSE(Verifier::Create(config).ok());
}

TEST(XuaAssertion, SignatureByUnconfiguredKeyIsRefused) {
  auto claims = Verify(Mint(ForeignIdp()));
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(RefusalOf(claims.status()), Refusal::kUntrusted) << claims.status();
  // Neither by an RSA-only configuration.
  EXPECT_FALSE(Verify(Mint(ForeignIdp()), Config(RsaIdp())).ok());
}

TEST(XuaAssertion, TrustedCertificateInKeyInfoDoesNotMakeAForeignKeyTrusted) {
  // Signed with the foreign key, carrying the configured IdP's certificate in KeyInfo.
  auto xml = MintAssertion(Request(), ForeignIdp().key_path, Idp().cert_path);
  if (!xml.ok()) GTEST_SKIP() << "xmlsec refuses a mismatched key and certificate: " << xml.status();
  EXPECT_FALSE(Verify(*xml).ok());
}

TEST(XuaAssertion, AttributeChangedAfterSigningIsRefused) {
  const std::string xml = Mint(Idp());
  const std::string tampered = absl::StrReplaceAll(xml, {{"urn:oid:2.999.1.2<", "urn:oid:2.999.1.3<"}});
  ASSERT_NE(tampered, xml);
  auto claims = Verify(tampered);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(RefusalOf(claims.status()), Refusal::kBadSignature) << claims.status();
  // The patient, too.
  auto other_patient = Verify(absl::StrReplaceAll(xml, {{"BSN-1^", "BSN-2^"}}));
  EXPECT_FALSE(other_patient.ok());
}

TEST(XuaAssertion, ExpiredAndNotYetValidAreRefusedOutsideTheSkew) {
  const std::string xml = Mint(Idp());
  const absl::Time expiry = kIssued + absl::Minutes(60);
  EXPECT_TRUE(Verify(xml, Config(), expiry + absl::Minutes(4)).ok());
  auto expired = Verify(xml, Config(), expiry + absl::Minutes(5));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(RefusalOf(expired.status()), Refusal::kConditions) << expired.status();
  EXPECT_TRUE(Verify(xml, Config(), kIssued - absl::Minutes(4)).ok());
  auto early = Verify(xml, Config(), kIssued - absl::Minutes(6));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(RefusalOf(early.status()), Refusal::kConditions) << early.status();
}

TEST(XuaAssertion, WrongAudienceIsRefused) {
  XuaConfig config = Config();
  config.audience = "https://other.example.org/xds/registry";
  auto claims = Verify(Mint(Idp()), config);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(RefusalOf(claims.status()), Refusal::kConditions) << claims.status();
}

// The signed assertion's parts, to rebuild it in the shapes signature-wrapping attacks use.
struct Parts {
  std::string id;
  std::string open_tag;   // <saml2:Assertion ...>
  std::string signature;  // <ds:Signature ...>...</ds:Signature>
  std::string rest;       // what follows the Signature, up to the end tag
  std::string issuer;     // <saml2:Issuer>...</saml2:Issuer>
};

Parts Split(const std::string& xml) {
  Parts p;
  const size_t id_at = xml.find(" ID=\"") + 5;
  p.id = xml.substr(id_at, xml.find('"', id_at) - id_at);
  const size_t open_end = xml.find('>') + 1;
  p.open_tag = xml.substr(0, open_end);
  const size_t sig = xml.find("<ds:Signature");
  const size_t sig_end = xml.find("</ds:Signature>") + strlen("</ds:Signature>");
  p.issuer = xml.substr(open_end, sig - open_end);
  p.signature = xml.substr(sig, sig_end - sig);
  p.rest = xml.substr(sig_end, xml.rfind("</saml2:Assertion>") - sig_end);
  return p;
}

TEST(XuaAssertion, SignatureWrappingIsRefused) {
  const std::string signed_xml = Mint(Idp());
  const Parts p = Split(signed_xml);
  ASSERT_FALSE(p.id.empty());
  const std::string evil_claims = absl::StrReplaceAll(p.rest, {{"BSN-1^", "BSN-666^"}});
  const std::string evil_open = absl::StrReplaceAll(p.open_tag, {{p.id, "_evil"}});

  // 1. An unsigned assertion around the signed one (tucked into Advice): the outer one has
  //    no signature of its own.
  const std::string around = absl::StrCat(evil_open, p.issuer, "<saml2:Advice>", signed_xml, "</saml2:Advice>",
                                          evil_claims, "</saml2:Assertion>");
  EXPECT_FALSE(Verify(around).ok());

  // 2. The same, with the signature moved to the outer assertion: its Reference points at the
  //    inner (signed) one, the claims would come from the outer.
  const std::string inner_unsigned = absl::StrCat(p.open_tag, p.issuer, p.rest, "</saml2:Assertion>");
  const std::string moved = absl::StrCat(evil_open, p.issuer, p.signature, "<saml2:Advice>", inner_unsigned,
                                         "</saml2:Advice>", evil_claims, "</saml2:Assertion>");
  auto moved_claims = Verify(moved);
  ASSERT_FALSE(moved_claims.ok());
  EXPECT_EQ(RefusalOf(moved_claims.status()), Refusal::kBadSignature) << moved_claims.status();

  // 3. The outer assertion takes the signed one's ID, the original moves inside: the
  //    Reference resolves to the outer element, whose digest differs.
  const std::string same_id = absl::StrCat(p.open_tag, p.issuer, p.signature, "<saml2:Advice>", inner_unsigned,
                                           "</saml2:Advice>", evil_claims, "</saml2:Assertion>");
  auto same_id_claims = Verify(same_id);
  ASSERT_FALSE(same_id_claims.ok());
  EXPECT_EQ(RefusalOf(same_id_claims.status()), Refusal::kBadSignature) << same_id_claims.status();

  // 4. An xml:id elsewhere equal to the assertion's ID.
  const std::string dup = absl::StrReplaceAll(
      signed_xml, {{"<saml2:AuthnStatement ", absl::StrCat("<saml2:AuthnStatement xml:id=\"", p.id, "\" ")}});
  EXPECT_FALSE(Verify(dup).ok());

  // The untouched one still verifies, and its claims are the signed ones.
  auto genuine = Verify(signed_xml);
  ASSERT_TRUE(genuine.ok()) << genuine.status();
  EXPECT_EQ(genuine->resource_id, "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
}

TEST(XuaAssertion, MalformedTokensAreRefused) {
  const std::string xml = Mint(Idp());
  for (const std::string& bad : {
           std::string("not xml"),
           std::string("<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"/>"),
           absl::StrCat("<!DOCTYPE x [<!ENTITY e \"x\">]>", xml),
           absl::StrReplaceAll(xml, {{"<saml2:Issuer>https://idp.example.org</saml2:Issuer>", ""}}),
       }) {
    auto claims = Verify(bad);
    ASSERT_FALSE(claims.ok()) << bad;
    EXPECT_EQ(RefusalOf(claims.status()), Refusal::kMalformed) << claims.status();
  }
  // No signature at all.
  const Parts p = Split(xml);
  auto unsigned_claims = Verify(absl::StrCat(p.open_tag, p.issuer, p.rest, "</saml2:Assertion>"));
  EXPECT_FALSE(unsigned_claims.ok());
}

}  // namespace
}  // namespace xds::xua
