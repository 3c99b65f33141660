// The region CA against OpenSSL's own verifier: issued certificates chain to ca.pem, expired
// and revoked ones (CRL check with crl.pem) fail with the right error, certificates of another
// CA fail, and the subject carries the organisation and its rights as pki.h documents.
#include "tools/pki/pki.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace xds::pki {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/" + name + std::to_string(getpid());
  fs::remove_all(dir);
  return dir;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using Cert = std::unique_ptr<X509, X509Free>;
using Crl = std::unique_ptr<X509_CRL, CrlFree>;

// A PEM object from a file with OpenSSL's PEM_read_bio_* `Read`; null when unreadable.
template <typename Ptr, auto Read>
Ptr LoadPem(const std::string& path) {
  std::string pem = ReadAll(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Ptr object(Read(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return object;
}
Cert LoadCert(const std::string& path) { return LoadPem<Cert, PEM_read_bio_X509>(path); }
Crl LoadCrl(const std::string& path) { return LoadPem<Crl, PEM_read_bio_X509_CRL>(path); }

// X509_verify_cert of `cert_path` against `ca_dir`/ca.pem (and its crl.pem with the CRL
// check when `with_crl`) for `purpose`; X509_V_OK or the verifier's error.
int Verify(const std::string& ca_dir, const std::string& cert_path, bool with_crl,
           int purpose = X509_PURPOSE_SSL_CLIENT) {
  Cert ca = LoadCert(ca_dir + "/ca.pem");
  Cert cert = LoadCert(cert_path);
  if (!ca || !cert) return -1;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  if (with_crl) {
    Crl crl = LoadCrl(ca_dir + "/crl.pem");
    if (!crl) return -2;
    X509_STORE_add_crl(store, crl.get());
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int rc = X509_verify_cert(ctx);
  int error = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return rc == 1 ? X509_V_OK : (error == X509_V_OK ? -3 : error);
}

std::vector<std::string> SubjectValues(X509* cert, int nid) {
  std::vector<std::string> out;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
  }
  return out;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

IssueRequest Client(const std::string& name) {
  IssueRequest r;
  r.name = name;
  r.organization_id = "urn:oid:2.999.1." + name;
  r.roles = {kRoleConsumer, kRoleSource};
  return r;
}

TEST(PkiTest, IssuedClientAndServerCertificatesVerifyAgainstTheCa) {
  std::string dir = TempDir("ca");
  ASSERT_TRUE(InitCa(dir, "Region Test").ok());
  EXPECT_EQ(Mode(dir), 0700);
  EXPECT_EQ(Mode(dir + "/ca.key"), 0600);
  Cert ca = LoadCert(dir + "/ca.pem");
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);

  auto client = Issue(dir, Client("Midwives-North"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(Mode(client->key_path), 0600);
  EXPECT_EQ(client->serial_hex.size(), 32u);
  EXPECT_EQ(Verify(dir, client->cert_path, false), X509_V_OK);
  EXPECT_EQ(Verify(dir, client->cert_path, true), X509_V_OK);
  // clientAuth only: not a server.
  EXPECT_EQ(Verify(dir, client->cert_path, false, X509_PURPOSE_SSL_SERVER), X509_V_ERR_INVALID_PURPOSE);

  Cert c = LoadCert(client->cert_path);
  ASSERT_TRUE(c);
  EXPECT_EQ(SubjectValues(c.get(), NID_commonName), std::vector<std::string>{"Midwives-North"});
  EXPECT_EQ(SubjectValues(c.get(), NID_organizationName), std::vector<std::string>{"Midwives-North"});
  EXPECT_EQ(SubjectValues(c.get(), NID_organizationIdentifier),
            std::vector<std::string>{"urn:oid:2.999.1.Midwives-North"});
  EXPECT_EQ(OBJ_txt2nid(kOidOrganizationIdentifier), NID_organizationIdentifier);
  EXPECT_EQ(SubjectValues(c.get(), NID_organizationalUnitName), (std::vector<std::string>{"consumer", "source"}));
  EXPECT_NE(X509_get0_authority_key_id(c.get()), nullptr);
  EXPECT_EQ(X509_check_ca(c.get()), 0);
  // The key written next to the certificate is the certificate's key.
  BIO* kb = BIO_new_file(client->key_path.c_str(), "r");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(c.get(), key), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  EVP_PKEY_free(key);

  IssueRequest sr = Client("registry");
  sr.roles = {};
  sr.server = true;
  sr.dns_names = {"localhost"};
  sr.ip_addresses = {"127.0.0.1", "::1"};
  auto server = Issue(dir, sr);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(Verify(dir, server->cert_path, true, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(Verify(dir, server->cert_path, true, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  Cert s = LoadCert(server->cert_path);
  EXPECT_EQ(X509_check_host(s.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(s.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(s.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(s.get(), "10.0.0.1", 0), 0);
  EXPECT_TRUE(SubjectValues(s.get(), NID_organizationalUnitName).empty());
  EXPECT_NE(client->serial_hex, server->serial_hex);

  // Both are in the index, valid.
  std::string index = ReadAll(dir + "/index.txt");
  EXPECT_NE(index.find("V\t"), std::string::npos);
  EXPECT_NE(index.find("\t" + client->serial_hex + "\t"), std::string::npos);
  EXPECT_NE(index.find("\t" + server->serial_hex + "\t"), std::string::npos);
}

TEST(PkiTest, ExpiredCertificateFailsVerification) {
  std::string dir = TempDir("expired");
  ASSERT_TRUE(InitCa(dir, "Region").ok());
  IssueRequest r = Client("old");
  r.not_before = absl::Now() - absl::Hours(48);
  r.not_after = absl::Now() - absl::Hours(24);
  auto old = Issue(dir, r);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(Verify(dir, old->cert_path, false), X509_V_ERR_CERT_HAS_EXPIRED);
  auto fresh = Issue(dir, Client("fresh"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Verify(dir, fresh->cert_path, false), X509_V_OK);
}

// A serial whose first byte is below 0x10 is written "0A3F..." (whole bytes); revoking it by
// its file or by its serial without the leading zero must find it. Issues until one comes.
TEST(PkiTest, SerialWithALeadingZeroNibbleIsRevoked) {
  std::string dir = TempDir("revoke-zero");
  ASSERT_TRUE(InitCa(dir, "Region").ok());
  std::vector<Issued> zeros;
  for (int i = 0; i < 400 && zeros.size() < 2; ++i) {
    auto issued = Issue(dir, Client("n" + std::to_string(i)));
    ASSERT_TRUE(issued.ok()) << issued.status();
    if (issued->serial_hex[0] == '0') zeros.push_back(*issued);
  }
  ASSERT_EQ(zeros.size(), 2u) << "no serial with a leading zero nibble in 400 issues";
  EXPECT_TRUE(Revoke(dir, zeros[0].cert_path).ok());
  EXPECT_TRUE(Revoke(dir, zeros[1].serial_hex.substr(1)).ok());
  EXPECT_EQ(Verify(dir, zeros[0].cert_path, true), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify(dir, zeros[1].cert_path, true), X509_V_ERR_CERT_REVOKED);
}

TEST(PkiTest, RevokedCertificateFailsTheCrlCheckOthersPass) {
  std::string dir = TempDir("revoke");
  ASSERT_TRUE(InitCa(dir, "Region").ok());
  auto a = Issue(dir, Client("a"));
  auto b = Issue(dir, Client("b"));
  auto c = Issue(dir, Client("c"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  Crl empty = LoadCrl(dir + "/crl.pem");
  ASSERT_TRUE(empty);
  EXPECT_EQ(X509_CRL_get_REVOKED(empty.get()), nullptr);

  ASSERT_TRUE(Revoke(dir, a->cert_path).ok());
  EXPECT_EQ(Verify(dir, a->cert_path, true), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify(dir, a->cert_path, false), X509_V_OK);  // without the CRL it still chains
  EXPECT_EQ(Verify(dir, b->cert_path, true), X509_V_OK);
  EXPECT_EQ(Verify(dir, c->cert_path, true), X509_V_OK);

  // By serial (any case, leading zeros); the new CRL keeps the first revocation.
  ASSERT_TRUE(Revoke(dir, "0x00" + b->serial_hex).ok());
  EXPECT_EQ(Verify(dir, a->cert_path, true), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify(dir, b->cert_path, true), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify(dir, c->cert_path, true), X509_V_OK);
  EXPECT_TRUE(Revoke(dir, a->cert_path).ok());  // twice: fine

  Crl crl = LoadCrl(dir + "/crl.pem");
  ASSERT_TRUE(crl);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 2);
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_CRL_get0_lastUpdate(crl.get()), X509_CRL_get0_nextUpdate(crl.get())),
            1);
  EXPECT_EQ(days, 30);
  Cert ca = LoadCert(dir + "/ca.pem");
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())), 1);
  // The hashed copy for crl_directory is the same CRL.
  char hashed[32];
  std::snprintf(hashed, sizeof hashed, "%08lx.r0",
                X509_NAME_hash_ex(X509_get_subject_name(ca.get()), nullptr, nullptr, nullptr));
  EXPECT_EQ(ReadAll(dir + "/crl/" + hashed), ReadAll(dir + "/crl.pem"));
  std::string index = ReadAll(dir + "/index.txt");
  EXPECT_NE(index.find("R\t"), std::string::npos);

  // A refreshed CRL still lists both, with a higher CRL number.
  auto number = [](X509_CRL* c) {
    ASN1_INTEGER* n = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(c, NID_crl_number, nullptr, nullptr));
    long v = ASN1_INTEGER_get(n);
    ASN1_INTEGER_free(n);
    return v;
  };
  ASSERT_TRUE(RefreshCrl(dir).ok());
  Crl refreshed = LoadCrl(dir + "/crl.pem");
  ASSERT_TRUE(refreshed);
  EXPECT_GT(number(refreshed.get()), number(crl.get()));
  EXPECT_EQ(Verify(dir, b->cert_path, true), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify(dir, c->cert_path, true), X509_V_OK);
  EXPECT_EQ(RefreshCrl(dir + "/nothing").code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(Revoke(dir, "ABCDEF").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Revoke(dir, "not-a-serial").code(), absl::StatusCode::kInvalidArgument);
}

TEST(PkiTest, InitCaRefusesToOverwrite) {
  std::string dir = TempDir("twice");
  ASSERT_TRUE(InitCa(dir, "Region").ok());
  std::string pem = ReadAll(dir + "/ca.pem");
  std::string key = ReadAll(dir + "/ca.key");
  EXPECT_EQ(InitCa(dir, "Region").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll(dir + "/ca.pem"), pem);
  EXPECT_EQ(ReadAll(dir + "/ca.key"), key);
}

TEST(PkiTest, CertificateOfAnotherCaFails) {
  std::string first = TempDir("first");
  std::string second = TempDir("second");
  ASSERT_TRUE(InitCa(first, "Region").ok());
  ASSERT_TRUE(InitCa(second, "Region").ok());  // same name, other key
  auto stranger = Issue(second, Client("stranger"));
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(Verify(second, stranger->cert_path, true), X509_V_OK);
  int error = Verify(first, stranger->cert_path, false);
  EXPECT_TRUE(error == X509_V_ERR_CERT_SIGNATURE_FAILURE || error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
              error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
      << X509_verify_cert_error_string(error);
  EXPECT_EQ(Revoke(first, stranger->cert_path).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PkiTest, RefusesBadRequests) {
  std::string dir = TempDir("bad");
  EXPECT_EQ(Issue(dir, Client("x")).status().code(), absl::StatusCode::kNotFound);  // no CA yet
  ASSERT_TRUE(InitCa(dir, "Region").ok());
  IssueRequest r = Client("x");
  r.roles = {"nurse"};
  EXPECT_EQ(Issue(dir, r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Client("x");
  r.name = "";
  EXPECT_EQ(Issue(dir, r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Client("x");
  r.organization_id = "";
  EXPECT_EQ(Issue(dir, r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Client("x");
  r.ip_addresses = {"300.1.1.1"};
  EXPECT_EQ(Issue(dir, r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Client("x");
  r.dns_names = {"a,IP:10.0.0.1"};
  EXPECT_EQ(Issue(dir, r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Client("x");
  r.not_before = absl::Now();
  r.not_after = r.not_before - absl::Hours(1);
  EXPECT_EQ(Issue(dir, r).status().code(), absl::StatusCode::kInvalidArgument);
  // Nothing of the refused requests reached the index.
  EXPECT_EQ(ReadAll(dir + "/index.txt"), "");
}

}  // namespace
}  // namespace xds::pki
