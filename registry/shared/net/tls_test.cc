// The node identity a certificate's subject gives (tls::IdentityOf), by the region's
// convention and with another organisation attribute configured.
#include "registry/shared/net/tls.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace xds::tls {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// A self-signed certificate whose subject has `entries` (short name, value) in order.
std::unique_ptr<X509, X509Free> Certificate(const std::vector<std::pair<std::string, std::string>>& entries) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& [field, value] : entries) {
    X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  X509_sign(cert.get(), key, EVP_sha256());
  EVP_PKEY_free(key);
  return cert;
}

TEST(IdentityOfTest, OrganisationNameAndRightsFromTheSubject) {
  auto cert = Certificate({{"CN", "Midwives North"},
                           {"O", "Midwives North"},
                           {"organizationIdentifier", "2.999.1.7"},
                           {"OU", "consumer"},
                           {"OU", "source"},
                           {"serialNumber", "URA-12345678"}});
  PeerIdentity identity = IdentityOf(cert.get());
  EXPECT_EQ(identity.organization_id, "2.999.1.7");
  EXPECT_EQ(identity.organization_name, "Midwives North");
  EXPECT_EQ(identity.roles, (std::vector<std::string>{"consumer", "source"}));
  EXPECT_TRUE(identity.HasRole(kRoleSource));
  EXPECT_FALSE(identity.HasRole(kRoleAdmin));
  EXPECT_NE(identity.subject.find("CN=Midwives North"), std::string::npos) << identity.subject;
}

TEST(IdentityOfTest, AnotherSubjectAttributeMayHoldTheOrganisation) {
  auto cert =
      Certificate({{"CN", "Hospital"}, {"organizationIdentifier", "2.999.1.8"}, {"serialNumber", "URA-87654321"}});
  ASSERT_TRUE(SetOrganizationAttribute("serialNumber").ok());
  EXPECT_EQ(IdentityOf(cert.get()).organization_id, "URA-87654321");
  ASSERT_TRUE(SetOrganizationAttribute("2.5.4.97").ok());  // organizationIdentifier by its OID
  EXPECT_EQ(IdentityOf(cert.get()).organization_id, "2.999.1.8");
  EXPECT_FALSE(SetOrganizationAttribute("noSuchAttribute").ok());
  EXPECT_EQ(IdentityOf(cert.get()).organization_id, "2.999.1.8");  // unchanged by the refusal
}

// gRPC gives the peer's certificate as PEM on every call; its identity is remembered, and
// forgotten when the organisation attribute changes.
TEST(IdentityOfPemTest, SameIdentityAsTheCertificateAndFollowsTheAttribute) {
  auto cert = Certificate({{"CN", "Youth health"}, {"organizationIdentifier", "2.999.1.9"}, {"serialNumber", "URA-1"}});
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.get());
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  EXPECT_EQ(IdentityOfPem(pem).organization_id, "2.999.1.9");
  EXPECT_EQ(IdentityOfPem(pem).subject, IdentityOf(cert.get()).subject);
  ASSERT_TRUE(SetOrganizationAttribute("serialNumber").ok());
  EXPECT_EQ(IdentityOfPem(pem).organization_id, "URA-1");
  ASSERT_TRUE(SetOrganizationAttribute("organizationIdentifier").ok());
  EXPECT_EQ(IdentityOfPem(pem).organization_id, "2.999.1.9");
  EXPECT_TRUE(IdentityOfPem("not a certificate").subject.empty());
}

TEST(IdentityOfTest, NoCertificateNoIdentity) {
  PeerIdentity identity = IdentityOf(nullptr);
  EXPECT_TRUE(identity.subject.empty());
  EXPECT_TRUE(identity.organization_id.empty());
  EXPECT_TRUE(identity.roles.empty());
}

}  // namespace
}  // namespace xds::tls
