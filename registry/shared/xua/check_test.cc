// XUA through the SOAP edge: soap::ParseRequest finds the wsse:Security header, xua::Check
// answers the Fault (or the claims).
#include "registry/shared/xua/check.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "registry/shared/soap/soap_envelope.h"
#include "registry/shared/xua/test_idp.h"

namespace xds::xua {
namespace {

constexpr char kAudience[] = "https://registry.example.org/xds/registry";
constexpr char kSamlDecl[] = " xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"";

const testing::TestIdp& Idp() {
  static const testing::TestIdp idp = testing::MakeTestIdp(std::getenv("TEST_TMPDIR"), "idp");
  return idp;
}

std::string Assertion(const std::string& patient = "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO") {
  MintRequest r;
  r.subject_id = "dr-jansen";
  r.organization_id = "urn:oid:2.999.1.2";
  r.role_code = "158965000";
  r.purpose_of_use = kPurposeEmergency;
  r.patient_id = patient;
  r.audience = kAudience;
  auto xml = MintAssertion(r, Idp().key_path, Idp().cert_path);
  EXPECT_TRUE(xml.ok()) << xml.status();
  return xml.ok() ? *xml : "";
}

// An ITI-18 request with `security` (a header block, or "") in its Header. The envelope
// declares saml2 too, and the Security block is indented, as real clients send it.
std::string Envelope(const std::string& security) {
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:a=\"http://www.w3.org/2005/08/addressing\"",
      kSamlDecl,
      ">\n <s:Header>\n  <a:Action s:mustUnderstand=\"1\">urn:ihe:iti:2007:RegistryStoredQuery</a:Action>\n"
      "  <a:MessageID>urn:uuid:1</a:MessageID>\n  ",
      security,
      "\n </s:Header>\n <s:Body><query:AdhocQueryRequest "
      "xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\"/></s:Body>\n</s:Envelope>");
}

std::string Security(const std::string& content, bool must_understand = true) {
  return absl::StrCat("<wsse:Security xmlns:wsse=\"", soap::kWsseNs, "\"",
                      must_understand ? " s:mustUnderstand=\"true\"" : "", ">\n   ", content, "\n  </wsse:Security>");
}

struct Parsed {
  http::Request http;
  soap::Request request;
};

std::unique_ptr<Parsed> Parse(const std::string& envelope) {
  auto parsed = std::make_unique<Parsed>();
  parsed->http.method = "POST";
  parsed->http.content_type = "application/soap+xml; charset=UTF-8";
  parsed->http.body = envelope;
  soap::Fault fault;
  EXPECT_TRUE(soap::ParseRequest(parsed->http, soap::Limits(), &parsed->request, &fault)) << fault.reason;
  return parsed;
}

XuaConfig Config(bool required = true) {
  XuaConfig config;
  config.idp_certificates = {Idp().cert_path};
  config.audience = kAudience;
  config.required = required;
  return config;
}

std::optional<soap::Fault> CheckEnvelope(const std::string& envelope, const XuaConfig& config,
                                         RequesterClaims* claims) {
  auto parsed = Parse(envelope);
  return Check(parsed->request, config, claims);
}

TEST(XuaCheck, MustUnderstandSecurityWithValidAssertionPasses) {
  auto parsed = Parse(Envelope(Security(Assertion())));
  EXPECT_TRUE(parsed->request.security.present);
  EXPECT_TRUE(parsed->request.security.must_understand);
  ASSERT_EQ(parsed->request.security.assertions.size(), 1u);
  auto verifier = Verifier::Create(Config());
  ASSERT_TRUE(verifier.ok());
  RequesterClaims claims;
  auto fault = Check(parsed->request, **verifier, &claims);
  ASSERT_FALSE(fault) << fault->subcode << " " << fault->reason;
  EXPECT_EQ(claims.subject_id, "dr-jansen");
  EXPECT_EQ(claims.purpose_of_use, "ETREAT");
  EXPECT_EQ(claims.resource_id, "BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO");
}

TEST(XuaCheck, AssertionRelyingOnTheEnvelopesNamespaceDeclarationsVerifies) {
  // Signed standalone, sent with its saml2 declaration left to the Envelope: canonical XML
  // renders it the same, and the cut-out assertion gets it back.
  const std::string assertion = Assertion();
  const std::string bare = absl::StrReplaceAll(assertion, {{kSamlDecl, ""}});
  ASSERT_NE(bare, assertion);
  RequesterClaims claims;
  auto fault = CheckEnvelope(Envelope(Security(bare)), Config(), &claims);
  ASSERT_FALSE(fault) << fault->reason;
  EXPECT_EQ(claims.organization_id, "urn:oid:2.999.1.2");
}

TEST(XuaCheck, MissingAssertionWhereRequiredIsAFault) {
  RequesterClaims claims;
  auto fault = CheckEnvelope(Envelope(""), Config(), &claims);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->code, "Sender");
  EXPECT_EQ(fault->subcode, "wsse:FailedAuthentication");
  // An empty Security header is no better.
  EXPECT_TRUE(CheckEnvelope(Envelope(Security("")), Config(), &claims));
  // Where not required, a request without one goes on.
  EXPECT_FALSE(CheckEnvelope(Envelope(""), Config(/*required=*/false), &claims));
}

TEST(XuaCheck, TamperedAssertionIsAFailedCheckFault) {
  const std::string tampered = absl::StrReplaceAll(Assertion(), {{"BSN-1^", "BSN-2^"}});
  RequesterClaims claims;
  auto fault = CheckEnvelope(Envelope(Security(tampered)), Config(), &claims);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->code, "Sender");
  EXPECT_EQ(fault->subcode, "wsse:FailedCheck");
  EXPECT_TRUE(claims.resource_id.empty());
  // The Fault on the wire declares the wsse prefix of its Subcode.
  http::Response response = soap::MakeFaultResponse(*fault, "urn:uuid:1");
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find(absl::StrCat("xmlns:wsse=\"", soap::kWsseNs, "\">wsse:FailedCheck<")), std::string::npos)
      << response.body;
}

TEST(XuaCheck, ForeignAudienceIsAFailedAuthenticationFault) {
  XuaConfig config = Config();
  config.audience = "urn:oid:2.999.other-domain";
  RequesterClaims claims;
  auto fault = CheckEnvelope(Envelope(Security(Assertion())), config, &claims);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->subcode, "wsse:FailedAuthentication");
}

TEST(XuaCheck, SecondUnsignedAssertionBesideTheSignedOneIsRefused) {
  const std::string signed_xml = Assertion();
  const std::string evil = absl::StrReplaceAll(signed_xml, {{"BSN-1^", "BSN-666^"}, {" ID=\"_", " ID=\"_evil"}});
  RequesterClaims claims;
  for (const std::string& content : {evil + signed_xml, signed_xml + evil}) {
    auto fault = CheckEnvelope(Envelope(Security(content)), Config(), &claims);
    ASSERT_TRUE(fault);
    EXPECT_EQ(fault->subcode, "wsse:InvalidSecurityToken");
  }
  EXPECT_TRUE(claims.resource_id.empty());
}

TEST(XuaCheck, MustUnderstandSecurityWithoutXuaConfiguredIsMustUnderstandFault) {
  RequesterClaims claims;
  auto fault = CheckEnvelope(Envelope(Security(Assertion())), XuaConfig(), &claims);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->code, "MustUnderstand");
  // Without mustUnderstand it may be ignored.
  EXPECT_FALSE(CheckEnvelope(Envelope(Security(Assertion(), false)), XuaConfig(), &claims));
}

TEST(XuaCheck, OtherMustUnderstandHeadersAreStillRefused) {
  http::Request http;
  http.method = "POST";
  http.content_type = "application/soap+xml";
  http.body = Envelope("<x:Other xmlns:x=\"urn:example\" s:mustUnderstand=\"1\"/>");
  soap::Request request;
  soap::Fault fault;
  EXPECT_FALSE(soap::ParseRequest(http, soap::Limits(), &request, &fault));
  EXPECT_EQ(fault.code, "MustUnderstand");
}

TEST(XuaCheck, AssertionIsCutOutExactlyAroundCommentsAndCdata) {
  // Comments, CDATA and '>' in attribute values inside the assertion do not end it early.
  const std::string assertion =
      "<saml2:Assertion ID=\"_1\" Version=\"2.0\" a=\"x>y\"><!-- </saml2:Assertion> -->"
      "<saml2:Issuer><![CDATA[</saml2:Assertion>]]></saml2:Issuer><saml2:Advice><saml2:Assertion/>"
      "</saml2:Advice></saml2:Assertion>";
  auto parsed = Parse(Envelope(Security(assertion + "<wsu:Timestamp xmlns:wsu=\"urn:x\"/>")));
  ASSERT_EQ(parsed->request.security.assertions.size(), 1u);
  const std::string& cut = parsed->request.security.assertions.front();
  EXPECT_EQ(absl::StrReplaceAll(cut, {{kSamlDecl, ""},
                                      {" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"", ""},
                                      {" xmlns:a=\"http://www.w3.org/2005/08/addressing\"", ""},
                                      {absl::StrCat(" xmlns:wsse=\"", soap::kWsseNs, "\""), ""}}),
            assertion);
  EXPECT_NE(cut.find(kSamlDecl), std::string::npos);
}

}  // namespace
}  // namespace xds::xua
