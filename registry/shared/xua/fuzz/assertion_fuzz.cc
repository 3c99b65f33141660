// Fuzz target for XUA's parse path: arbitrary bytes as an assertion to Verifier::Verify
// (libxml2 parsing, the structural and wrapping checks, xmlsec's c14n and digests), and the
// same bytes inside a wsse:Security header through soap::ParseRequest and xua::Check (the
// cut-out of the Assertion from the request text). The key is made at start-up, so no input
// can carry a valid signature: an accepted assertion is a property violation.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "registry/shared/soap/soap_envelope.h"
#include "registry/shared/xua/assertion.h"
#include "registry/shared/xua/check.h"
#include "registry/shared/xua/test_idp.h"

namespace {

const xds::xua::Verifier& TheVerifier() {
  static const xds::xua::Verifier* verifier = [] {
    const char* dir = std::getenv("TEST_TMPDIR");
    xds::xua::XuaConfig config;
    config.idp_certificates = {xds::xua::testing::MakeTestIdp(dir ? dir : "/tmp", "xua-fuzz-idp").cert_path};
    config.audience = "https://registry.example.org/xds/registry";
    config.required = true;
    return xds::xua::Verifier::Create(config).value().release();
  }();
  return *verifier;
}

void Violated(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const xds::xua::Verifier& verifier = TheVerifier();
  if (verifier.Verify(input, absl::FromUnixSeconds(1'900'000'000)).ok()) Violated("a forged assertion verified");

  xds::http::Request http;
  http.method = "POST";
  http.content_type = "application/soap+xml";
  http.body =
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header>"
      "<a:Action xmlns:a=\"http://www.w3.org/2005/08/addressing\">urn:x</a:Action>"
      "<wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" "
      "xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">" +
      input + "</wsse:Security></s:Header><s:Body><x/></s:Body></s:Envelope>";
  xds::soap::Request request;
  xds::soap::Fault fault;
  if (xds::soap::ParseRequest(http, xds::soap::Limits(), &request, &fault)) {
    xds::RequesterClaims claims;
    if (!xds::xua::Check(request, verifier, &claims)) Violated("a forged assertion passed xua::Check");
  }
  return 0;
}
