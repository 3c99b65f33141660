// A throw-away identity provider for tests: a fresh key and self-signed certificate.
#ifndef XDS_REGISTRY_SHARED_XUA_TEST_IDP_H_
#define XDS_REGISTRY_SHARED_XUA_TEST_IDP_H_

#include <string>

namespace xds::xua::testing {

struct TestIdp {
  std::string key_path;   // PEM private key
  std::string cert_path;  // PEM self-signed certificate, CN=`name`
};

// Writes `name`.key and `name`.crt under `dir` (EC P-256, or RSA-2048 when `rsa`). Aborts
// on failure: a test cannot go on without it.
TestIdp MakeTestIdp(const std::string& dir, const std::string& name, bool rsa = false);

}  // namespace xds::xua::testing

#endif  // XDS_REGISTRY_SHARED_XUA_TEST_IDP_H_
