#include "tools/pki/pki.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace xds::pki {
namespace {

namespace fs = std::filesystem;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using IntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

constexpr absl::Duration kCaValidity = absl::Hours(24 * (3650 + 3));  // 10 years with leap days
constexpr absl::Duration kDefaultValidity = absl::Hours(24 * 365);
constexpr absl::Duration kBackdate = absl::Hours(1);
constexpr absl::Duration kCrlValidity = absl::Hours(24 * 30);
constexpr char kCrlNumberFile[] = "crlnumber";
constexpr char kLockFile[] = ".lock";

// OpenSSL's queued errors, oldest first, in one status.
absl::Status SslError(const std::string& what) {
  std::string detail;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    absl::StrAppend(&detail, detail.empty() ? "" : "; ", buf);
  }
  return absl::InternalError(what + (detail.empty() ? "" : ": " + detail));
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes `data` to `path` with `mode`. exclusive: the file must not exist (O_EXCL); else the
// file is replaced atomically (temporary file + rename).
absl::Status WriteFile(const fs::path& path, const std::string& data, mode_t mode, bool exclusive) {
  fs::path target = exclusive ? path : fs::path(path.string() + ".tmp");
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_EXCL : O_TRUNC);
  int fd = open(target.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(path.string() + " exists already");
    return Errno("cannot create", target.string());
  }
  bool ok = fchmod(fd, mode) == 0;
  for (size_t done = 0; ok && done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  if (close(fd) != 0) ok = false;
  if (ok && !exclusive && rename(target.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    absl::Status s = Errno("cannot write", target.string());
    unlink(target.c_str());
    return s;
  }
  return absl::OkStatus();
}

// Creates `dir` (and its parents) when missing; a directory this creates gets mode 0700.
absl::Status MakePrivateDir(const fs::path& dir) {
  if (fs::is_directory(dir)) return absl::OkStatus();
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", dir.string());
  if (chmod(dir.c_str(), 0700) != 0) return Errno("cannot chmod", dir.string());
  return absl::OkStatus();
}

// One writer at a time per CA directory (issue and revoke both rewrite shared files).
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) : fd_(open((dir / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~DirLock() {
    if (fd_ >= 0) close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

template <typename Writer>
absl::StatusOr<std::string> Pem(Writer write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return SslError("cannot encode PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<KeyPtr> NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return SslError("cannot generate an ECDSA P-256 key");
  return key;
}

// A random positive 128-bit serial (first byte non-zero, top bit clear: always 16 bytes).
absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return SslError("RAND_bytes");
  bytes[0] &= 0x7f;
  if (bytes[0] == 0) bytes[0] = 0x01;
  BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) return SslError("cannot set the serial");
  return absl::OkStatus();
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  BnPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return "";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  return out;
}

// "0x00ab" and "AB" name the same serial; "" when `s` is not hex.
std::string NormalizeSerial(std::string s) {
  if (absl::StartsWithIgnoreCase(s, "0x")) s = s.substr(2);
  if (s.empty()) return "";
  for (char& c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    c = absl::ascii_toupper(c);
  }
  size_t first = s.find_first_not_of('0');
  return first == std::string::npos ? "0" : s.substr(first);
}

std::string TimeText(const ASN1_TIME* t) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)), ASN1_STRING_length(t));
}

absl::Status SetTimes(X509* cert, absl::Time not_before, absl::Time not_after) {
  if (!ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after))) {
    return SslError("cannot set the validity");
  }
  return absl::OkStatus();
}

bool Printable(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return !s.empty();
}

absl::Status AddNameEntry(X509_NAME* name, int nid, const std::string& value) {
  if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                  static_cast<int>(value.size()), -1, 0)) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("'", value, "' is not a valid ", OBJ_nid2ln(nid), " (at most 64 characters for names)"));
  }
  return absl::OkStatus();
}

// One extension in OpenSSL's configuration syntax ("critical,CA:TRUE"); `ctx` names issuer and
// subject for the key identifiers.
absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) return SslError(absl::StrCat("cannot add ", OBJ_nid2ln(nid)));
  return absl::OkStatus();
}

// subjectAltName from typed GENERAL_NAMEs (never from a configuration string a DNS name could
// smuggle a comma into).
absl::Status AddSubjectAltName(X509* cert, const std::vector<std::string>& dns, const std::vector<std::string>& ips) {
  if (dns.empty() && ips.empty()) return absl::OkStatus();
  NamesPtr names(sk_GENERAL_NAME_new_null());
  for (const auto& d : dns) {
    bool ok = !d.empty() && d.size() <= 253;
    for (char c : d) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*');
    if (!ok) return absl::InvalidArgumentError("'" + d + "' is not a DNS name");
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!s || !gn || !ASN1_STRING_set(s, d.data(), static_cast<int>(d.size()))) return SslError("subjectAltName");
    GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  for (const auto& ip : ips) {
    ASN1_OCTET_STRING* o = a2i_IPADDRESS(ip.c_str());
    if (!o) {
      ERR_clear_error();
      return absl::InvalidArgumentError("'" + ip + "' is not an IPv4 or IPv6 address");
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!gn) return SslError("subjectAltName");
    GENERAL_NAME_set0_value(gn, GEN_IPADD, o);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return SslError("cannot add subjectAltName");
  }
  return absl::OkStatus();
}

struct Ca {
  fs::path dir;
  CertPtr cert;
  KeyPtr key;
};

absl::StatusOr<Ca> LoadCa(const std::string& dir) {
  Ca ca;
  ca.dir = fs::absolute(dir);
  auto cert_pem = tls::ReadFile((ca.dir / kCaCertFile).string());
  auto key_pem = tls::ReadFile((ca.dir / kCaKeyFile).string());
  if (!cert_pem.ok() || !key_pem.ok()) {
    return absl::NotFoundError("no certificate authority in " + ca.dir.string() + " (create one with InitCa / " +
                               "xdsctl pki init)");
  }
  BioPtr cb(BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size())));
  BioPtr kb(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  ca.cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  ca.key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!ca.cert || !ca.key) return SslError("cannot read the CA in " + ca.dir.string());
  return ca;
}

// index.txt, `openssl ca`'s format.
struct IndexEntry {
  std::string status;  // V valid, R revoked
  std::string not_after;
  std::string revoked_at;
  std::string serial;
  std::string file;
  std::string subject;
};

absl::StatusOr<std::vector<IndexEntry>> ReadIndex(const fs::path& dir) {
  auto text = tls::ReadFile((dir / kIndexFile).string());
  if (!text.ok()) return text.status();
  std::vector<IndexEntry> entries;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 6) return absl::DataLossError("malformed line in " + (dir / kIndexFile).string());
    entries.push_back({f[0], f[1], f[2], f[3], f[4], f[5]});
  }
  return entries;
}

std::string IndexLine(const IndexEntry& e) {
  return absl::StrCat(absl::StrJoin({e.status, e.not_after, e.revoked_at, e.serial, e.file, e.subject}, "\t"), "\n");
}

// The next CRL number (kept in dir/crlnumber, decimal), so that every CRL supersedes the last.
absl::StatusOr<long> NextCrlNumber(const fs::path& dir) {
  long n = 0;
  if (auto text = tls::ReadFile((dir / kCrlNumberFile).string()); text.ok()) n = std::atol(text->c_str());
  ++n;
  if (absl::Status s = WriteFile(dir / kCrlNumberFile, absl::StrCat(n, "\n"), 0644, false); !s.ok()) return s;
  return n;
}

// Signs a CRL listing every revoked entry of `index` and writes crl.pem and crl/<hash>.r0.
absl::Status WriteCrl(const Ca& ca, const std::vector<IndexEntry>& index) {
  CrlPtr crl(X509_CRL_new());
  time_t now = absl::ToTimeT(absl::Now());
  TimePtr last(ASN1_TIME_set(nullptr, now));
  TimePtr next(ASN1_TIME_set(nullptr, now + absl::ToInt64Seconds(kCrlValidity)));
  if (!crl || !last || !next || !X509_CRL_set_version(crl.get(), 1) ||
      !X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) ||
      !X509_CRL_set1_lastUpdate(crl.get(), last.get()) || !X509_CRL_set1_nextUpdate(crl.get(), next.get())) {
    return SslError("cannot build the CRL");
  }
  for (const auto& e : index) {
    if (e.status != "R") continue;
    BIGNUM* raw = nullptr;
    if (!BN_hex2bn(&raw, e.serial.c_str())) return SslError("bad serial " + e.serial + " in the index");
    BnPtr bn(raw);
    IntPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    TimePtr when(ASN1_TIME_new());
    X509_REVOKED* r = X509_REVOKED_new();
    if (!serial || !when || !r || !ASN1_TIME_set_string(when.get(), e.revoked_at.c_str()) ||
        !X509_REVOKED_set_serialNumber(r, serial.get()) || !X509_REVOKED_set_revocationDate(r, when.get()) ||
        !X509_CRL_add0_revoked(crl.get(), r)) {
      X509_REVOKED_free(r);
      return SslError("cannot list serial " + e.serial + " in the CRL");
    }
  }
  X509_CRL_sort(crl.get());
  auto number = NextCrlNumber(ca.dir);
  if (!number.ok()) return number.status();
  IntPtr crl_number(ASN1_INTEGER_new());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  ExtPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!crl_number || !ASN1_INTEGER_set(crl_number.get(), *number) || !aki ||
      !X509_CRL_add_ext(crl.get(), aki.get(), -1) ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0) != 1 ||
      !X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256())) {
    return SslError("cannot sign the CRL");
  }
  auto pem = Pem([&](BIO* b) { return PEM_write_bio_X509_CRL(b, crl.get()); });
  if (!pem.ok()) return pem.status();
  if (absl::Status s = WriteFile(ca.dir / kCrlFile, *pem, 0644, false); !s.ok()) return s;
  if (absl::Status s = MakePrivateDir(ca.dir / kCrlDir); !s.ok()) return s;
  char hashed[32];
  std::snprintf(hashed, sizeof hashed, "%08lx.r0",
                X509_NAME_hash_ex(X509_get_subject_name(ca.cert.get()), nullptr, nullptr, nullptr));
  return WriteFile(ca.dir / kCrlDir / hashed, *pem, 0644, false);
}

// A certificate for `key` with serial, validity, subject and issuer set; the caller adds the
// extensions and signs.
absl::StatusOr<CertPtr> NewCert(EVP_PKEY* key, X509_NAME* subject, const X509_NAME* issuer, absl::Time not_before,
                                absl::Time not_after) {
  CertPtr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) || !X509_set_subject_name(cert.get(), subject) ||
      !X509_set_issuer_name(cert.get(), issuer) || !X509_set_pubkey(cert.get(), key)) {
    return SslError("cannot build the certificate");
  }
  if (absl::Status s = SetRandomSerial(cert.get()); !s.ok()) return s;
  if (absl::Status s = SetTimes(cert.get(), not_before, not_after); !s.ok()) return s;
  return cert;
}

absl::Status WriteKeyAndCert(EVP_PKEY* key, X509* cert, const fs::path& key_path, const fs::path& cert_path,
                             mode_t cert_mode) {
  auto key_pem = Pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  auto cert_pem = Pem([&](BIO* b) { return PEM_write_bio_X509(b, cert); });
  if (!key_pem.ok()) return key_pem.status();
  if (!cert_pem.ok()) return cert_pem.status();
  if (absl::Status s = WriteFile(key_path, *key_pem, 0600, true); !s.ok()) return s;
  return WriteFile(cert_path, *cert_pem, cert_mode, true);
}

std::string SafeFileName(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  return out;
}

absl::Status CheckRequest(const IssueRequest& r) {
  if (!Printable(r.name)) return absl::InvalidArgumentError("a certificate needs a name (CN, O)");
  if (!Printable(r.organization_id)) return absl::InvalidArgumentError("a certificate needs an organization id");
  for (const auto& role : r.roles) {
    if (role != kRoleConsumer && role != kRoleSource && role != kRoleAdmin && role != kRoleRepository) {
      return absl::InvalidArgumentError(absl::StrCat("unknown role '", role, "'; roles are ", kRoleConsumer, ", ",
                                                     kRoleSource, ", ", kRoleAdmin, " and ", kRoleRepository));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InitCa(const std::string& dir, const std::string& region_name) {
  if (!Printable(region_name)) return absl::InvalidArgumentError("the CA needs a region name");
  fs::path d = fs::absolute(dir);
  if (fs::exists(d / kCaKeyFile) || fs::exists(d / kCaCertFile)) {
    return absl::AlreadyExistsError(d.string() + " already holds a certificate authority; it is never overwritten");
  }
  if (absl::Status s = MakePrivateDir(d); !s.ok()) return s;
  auto key = NewKey();
  if (!key.ok()) return key.status();
  using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
  NamePtr name(X509_NAME_new());
  if (absl::Status s = AddNameEntry(name.get(), NID_commonName, region_name + " Root CA"); !s.ok()) return s;
  if (absl::Status s = AddNameEntry(name.get(), NID_organizationName, region_name); !s.ok()) return s;
  absl::Time now = absl::Now();
  auto cert = NewCert(key->get(), name.get(), name.get(), now - kBackdate, now + kCaValidity);
  if (!cert.ok()) return cert.status();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert->get(), cert->get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair<int, const char*>{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExtension(cert->get(), &ctx, nid, value); !s.ok()) return s;
  }
  if (!X509_sign(cert->get(), key->get(), EVP_sha256())) return SslError("cannot sign the CA certificate");
  // The key is created with O_EXCL first: of two concurrent InitCa calls one fails here.
  if (absl::Status s = WriteKeyAndCert(key->get(), cert->get(), d / kCaKeyFile, d / kCaCertFile, 0644); !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteFile(d / kIndexFile, "", 0644, true); !s.ok()) return s;
  auto ca = LoadCa(d.string());
  if (!ca.ok()) return ca.status();
  return WriteCrl(*ca, {});
}

absl::StatusOr<Issued> Issue(const std::string& ca_dir, const IssueRequest& request) {
  if (absl::Status s = CheckRequest(request); !s.ok()) return s;
  absl::Time now = absl::Now();
  absl::Time not_before = request.not_before == absl::InfinitePast() ? now - kBackdate : request.not_before;
  absl::Time not_after = request.not_after == absl::InfinitePast() ? now + kDefaultValidity : request.not_after;
  if (not_after <= not_before) return absl::InvalidArgumentError("not_after must be later than not_before");
  auto ca = LoadCa(ca_dir);
  if (!ca.ok()) return ca.status();

  using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
  NamePtr subject(X509_NAME_new());
  if (absl::Status s = AddNameEntry(subject.get(), NID_commonName, request.name); !s.ok()) return s;
  if (absl::Status s = AddNameEntry(subject.get(), NID_organizationName, request.name); !s.ok()) return s;
  if (absl::Status s = AddNameEntry(subject.get(), NID_organizationIdentifier, request.organization_id); !s.ok()) {
    return s;
  }
  std::set<std::string> seen;
  for (const auto& role : request.roles) {
    if (!seen.insert(role).second) continue;
    if (absl::Status s = AddNameEntry(subject.get(), NID_organizationalUnitName, role); !s.ok()) return s;
  }
  auto key = NewKey();
  if (!key.ok()) return key.status();
  auto cert = NewCert(key->get(), subject.get(), X509_get_subject_name(ca->cert.get()), not_before, not_after);
  if (!cert.ok()) return cert.status();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca->cert.get(), cert->get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair<int, const char*>{NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                            {NID_ext_key_usage, request.server ? "serverAuth,clientAuth" : "clientAuth"},
                            {NID_subject_key_identifier, "hash"},
                            {NID_authority_key_identifier, "keyid:always"}}) {
    if (absl::Status s = AddExtension(cert->get(), &ctx, nid, value); !s.ok()) return s;
  }
  if (absl::Status s = AddSubjectAltName(cert->get(), request.dns_names, request.ip_addresses); !s.ok()) return s;
  if (!X509_sign(cert->get(), ca->key.get(), EVP_sha256())) return SslError("cannot sign the certificate");

  DirLock lock(ca->dir);
  auto index = ReadIndex(ca->dir);
  if (!index.ok()) return index.status();
  Issued out;
  out.serial_hex = SerialHex(X509_get0_serialNumber(cert->get()));
  for (const auto& e : *index) {
    if (e.serial == out.serial_hex) return absl::InternalError("serial collision; issue again");
  }
  fs::path dir = request.out_dir.empty() ? ca->dir / kIssuedDir : fs::absolute(request.out_dir);
  if (absl::Status s = MakePrivateDir(dir); !s.ok()) return s;
  std::string base = SafeFileName(request.name) + "-" + out.serial_hex;
  out.cert_path = (dir / (base + ".pem")).string();
  out.key_path = (dir / (base + ".key")).string();
  if (absl::Status s = WriteKeyAndCert(key->get(), cert->get(), out.key_path, out.cert_path, 0644); !s.ok()) return s;
  char* oneline = X509_NAME_oneline(subject.get(), nullptr, 0);
  IndexEntry entry{
      "V", TimeText(X509_get0_notAfter(cert->get())), "", out.serial_hex, out.cert_path, oneline ? oneline : ""};
  OPENSSL_free(oneline);
  std::string text;
  for (const auto& e : *index) text += IndexLine(e);
  text += IndexLine(entry);
  if (absl::Status s = WriteFile(ca->dir / kIndexFile, text, 0644, false); !s.ok()) return s;
  return out;
}

absl::Status Revoke(const std::string& ca_dir, const std::string& cert_path_or_serial_hex) {
  auto ca = LoadCa(ca_dir);
  if (!ca.ok()) return ca.status();
  std::string serial;
  const std::string& arg = cert_path_or_serial_hex;
  if (fs::is_regular_file(arg)) {
    auto pem = tls::ReadFile(arg);
    if (!pem.ok()) return pem.status();
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      ERR_clear_error();
      return absl::InvalidArgumentError(arg + " is not a PEM certificate");
    }
    if (X509_check_issued(ca->cert.get(), cert.get()) != X509_V_OK ||
        X509_verify(cert.get(), X509_get0_pubkey(ca->cert.get())) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(arg + " was not issued by the certificate authority in " + ca->dir.string());
    }
    serial = NormalizeSerial(SerialHex(X509_get0_serialNumber(cert.get())));
  } else {
    serial = NormalizeSerial(arg);
    if (serial.empty()) {
      return absl::InvalidArgumentError("'" + arg + "' is neither a certificate file nor a serial number in hex");
    }
  }
  DirLock lock(ca->dir);
  auto index = ReadIndex(ca->dir);
  if (!index.ok()) return index.status();
  bool found = false;
  for (auto& e : *index) {
    // BN_bn2hex writes whole bytes ("0A3F..."): compare without leading zeros.
    if (NormalizeSerial(e.serial) != serial) continue;
    found = true;
    if (e.status == "R") continue;
    TimePtr now(ASN1_TIME_set(nullptr, absl::ToTimeT(absl::Now())));
    if (!now) return SslError("ASN1_TIME_set");
    e.status = "R";
    e.revoked_at = TimeText(now.get());
  }
  if (!found) return absl::NotFoundError("no certificate with serial " + serial + " in " + ca->dir.string());
  std::string text;
  for (const auto& e : *index) text += IndexLine(e);
  if (absl::Status s = WriteFile(ca->dir / kIndexFile, text, 0644, false); !s.ok()) return s;
  return WriteCrl(*ca, *index);
}

absl::Status RefreshCrl(const std::string& ca_dir) {
  auto ca = LoadCa(ca_dir);
  if (!ca.ok()) return ca.status();
  DirLock lock(ca->dir);
  auto index = ReadIndex(ca->dir);
  if (!index.ok()) return index.status();
  return WriteCrl(*ca, *index);
}

}  // namespace xds::pki
