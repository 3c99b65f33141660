#include "registry/shared/xua/test_idp.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>

namespace xds::xua::testing {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "MakeTestIdp: %s failed\n", what);
    std::abort();
  }
}

}  // namespace

TestIdp MakeTestIdp(const std::string& dir, const std::string& name, bool rsa) {
  TestIdp idp{dir + "/" + name + ".key", dir + "/" + name + ".crt"};
  EVP_PKEY* key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  Require(key != nullptr, "key generation");
  X509* cert = X509_new();
  Require(cert != nullptr && X509_set_version(cert, 2) == 1, "X509_new");
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                             0);
  Require(X509_set_issuer_name(cert, subject) == 1 && X509_set_pubkey(cert, key) == 1, "certificate fields");
  Require(X509_sign(cert, key, EVP_sha256()) > 0, "certificate signing");
  FILE* f = std::fopen(idp.key_path.c_str(), "w");
  Require(f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "key file");
  std::fclose(f);
  f = std::fopen(idp.cert_path.c_str(), "w");
  Require(f != nullptr && PEM_write_X509(f, cert) == 1, "certificate file");
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  return idp;
}

}  // namespace xds::xua::testing
