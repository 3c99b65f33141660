#include "registry/shared/net/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace xds::tls {
namespace {

namespace ssl = boost::asio::ssl;

// BCP195 (RFC 9325) as the ATNA profile asks: forward secrecy and AEAD only.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
constexpr char kTls13Suites[] = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
constexpr unsigned char kSessionIdContext[] = "xds";

// The first error on OpenSSL's queue, cleared, for a status message.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

absl::Status Fail(const std::string& what, const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat(what, " ", path, ": ", OpenSslError()));
}

std::string EntryText(X509_NAME_ENTRY* entry) {
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (length < 0) return "";
  std::string text(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

// Protocol versions, ciphers, our certificate and key, and the CA (with its CRL) that
// verifies the other side. Shared by both ends.
absl::Status Configure(SSL_CTX* ctx, const Files& files) {
  if (files.ca.empty() || files.cert.empty() || files.key.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs a CA bundle, a certificate and its key (--tls_ca, --tls_cert, --tls_key)");
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) {
    return absl::InternalError(absl::StrCat("TLS cipher configuration: ", OpenSslError()));
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1)
    return Fail("cannot load certificate", files.cert);
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Fail("cannot load key", files.key);
  if (SSL_CTX_check_private_key(ctx) != 1) return Fail("key does not match certificate", files.cert);
  if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1)
    return Fail("cannot load CA bundle", files.ca);
  if (!files.crl.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == nullptr || X509_load_crl_file(lookup, files.crl.c_str(), X509_FILETYPE_PEM) <= 0) {
      return Fail("cannot load CRL", files.crl);
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  return absl::OkStatus();
}

// Set once before serving threads start (SetOrganizationAttribute), read by every handshake.
std::atomic<int> organization_nid{NID_organizationIdentifier};

// gRPC hands every call its peer's certificate as PEM; decoding it costs OpenSSL 3.0 some
// hundred microseconds (its decoder look-ups), so the identities of the few certificates a
// region has are kept. Bounded: emptied when full.
struct PemIdentities {
  static constexpr size_t kMax = 4096;
  std::mutex mu;
  std::unordered_map<std::string, PeerIdentity> by_pem;  // guarded by mu
};
PemIdentities& Identities() {
  static auto* identities = new PemIdentities;
  return *identities;
}
}  // namespace

absl::Status SetOrganizationAttribute(const std::string& name_or_oid) {
  const int nid = OBJ_txt2nid(name_or_oid.c_str());
  if (nid == NID_undef) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown certificate subject attribute '", name_or_oid, "' (a short name or a dotted OID)"));
  }
  organization_nid = nid;
  std::lock_guard<std::mutex> lock(Identities().mu);
  Identities().by_pem.clear();
  return absl::OkStatus();
}

bool PeerIdentity::HasRole(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

PeerIdentity IdentityOf(X509* certificate) {
  PeerIdentity identity;
  if (certificate == nullptr) return identity;
  X509_NAME* name = X509_get_subject_name(certificate);
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  identity.subject.assign(data, static_cast<size_t>(std::max(0L, length)));
  BIO_free(bio);
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (nid == organization_nid.load(std::memory_order_relaxed)) {
      identity.organization_id = EntryText(entry);
      continue;
    }
    switch (nid) {
      case NID_organizationName:
        identity.organization_name = EntryText(entry);
        break;
      case NID_organizationalUnitName:
        identity.roles.push_back(EntryText(entry));
        break;
      default:
        break;
    }
  }
  return identity;
}

PeerIdentity IdentityOfPem(const std::string& pem) {
  PemIdentities& identities = Identities();
  {
    std::lock_guard<std::mutex> lock(identities.mu);
    auto known = identities.by_pem.find(pem);
    if (known != identities.by_pem.end()) return known->second;
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  PeerIdentity identity = IdentityOf(certificate);
  X509_free(certificate);
  std::lock_guard<std::mutex> lock(identities.mu);
  if (identities.by_pem.size() >= PemIdentities::kMax) identities.by_pem.clear();
  identities.by_pem.emplace(pem, identity);
  return identity;
}

absl::StatusOr<std::shared_ptr<ServerContext>> ServerContext::Load(const Files& files) {
  std::shared_ptr<ServerContext> context(new ServerContext(files));
  if (absl::Status status = context->Reload(); !status.ok()) return status;
  return context;
}

std::shared_ptr<ssl::context> ServerContext::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

absl::Status ServerContext::Reload() {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  if (absl::Status status = Configure(ctx, files_); !status.ok()) return status;
  // Every client proves who it is: no certificate, or one the CA did not sign, and the
  // handshake fails.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(context);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientContext(const Files& files) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  if (absl::Status status = Configure(ctx, files); !status.ok()) return status;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return context;
}

absl::StatusOr<std::string> CrlIssuerHash(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (crl == nullptr) return absl::InvalidArgumentError(absl::StrCat("not a PEM CRL: ", OpenSslError()));
  char hash[16];
  std::snprintf(hash, sizeof(hash), "%08lx", X509_NAME_hash_ex(X509_CRL_get_issuer(crl), nullptr, nullptr, nullptr));
  X509_CRL_free(crl);
  return std::string(hash);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace xds::tls
