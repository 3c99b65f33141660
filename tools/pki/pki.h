// A region's certificate authority for mutual TLS (issue 14): one ECDSA P-256 CA per region
// issues the client certificates of care organisations and the server certificates of the
// registry and the repositories, and revokes them through a CRL. Everything cryptographic
// is OpenSSL 3 (EVP, X509, X509_CRL); this file only decides what goes into them.
//
// Subject convention of issued certificates (the services map a verified client certificate
// to the call context with exactly this convention):
//
//   CN=<name>, O=<name>, organizationIdentifier (2.5.4.97)=<organization id>, OU=<role>...
//
//   - organizationIdentifier carries the care organisation's id (the one consent rules and
//     audit records name), exactly once;
//   - every OU value is one right of the organisation: kRoleConsumer (query and retrieve),
//     kRoleSource (submit), kRoleAdmin (administer the registry), kRoleRepository (a
//     Document Repository: registers for its sources, asks the access decision). No OU: no rights. Other
//     OU values are never issued; a service must ignore (not honour) them.
//
// Layout of a CA directory (mode 0700):
//   ca.key             the CA's private key (0600)
//   ca.pem             the self-signed CA certificate (the trust anchor clients and servers load)
//   crl.pem            the current CRL (empty after InitCa), nextUpdate 30 days ahead
//   crl/<hash>.r0      a copy of crl.pem named for OpenSSL's hashed lookup (gRPC's crl_directory)
//   index.txt          every issued certificate, in `openssl ca`'s index format:
//                      V|R <TAB> notAfter <TAB> revocationDate <TAB> serial <TAB> cert file <TAB> subject
//   issued/            default output directory: <name>-<serial>.pem and <name>-<serial>.key (0600)
#ifndef XDS_TOOLS_PKI_PKI_H_
#define XDS_TOOLS_PKI_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/shared/net/tls.h"

namespace xds::pki {

// Subject attributes of the convention above.
inline constexpr char kOidOrganizationIdentifier[] = "2.5.4.97";  // NID_organizationIdentifier
inline constexpr char kAttrOrganizationIdentifier[] = "organizationIdentifier";
inline constexpr char kAttrRole[] = "OU";  // NID_organizationalUnitName, one per role

// The rights an OU may grant: the ones the services check (registry/shared/net/tls.h).
using tls::kRoleAdmin;
using tls::kRoleConsumer;
using tls::kRoleRepository;
using tls::kRoleSource;

// Files of a CA directory.
inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kCaCertFile[] = "ca.pem";
inline constexpr char kCrlFile[] = "crl.pem";
inline constexpr char kCrlDir[] = "crl";
inline constexpr char kIndexFile[] = "index.txt";
inline constexpr char kIssuedDir[] = "issued";

// Creates `dir` (0700) when missing, the CA key and a self-signed CA certificate (CN=<region>
// Root CA, O=<region>; basicConstraints critical CA:TRUE, keyUsage keyCertSign+cRLSign,
// subjectKeyIdentifier, 10 years), an empty CRL and an empty index. AlreadyExists when `dir`
// already holds a CA key or certificate (nothing is touched then).
absl::Status InitCa(const std::string& dir, const std::string& region_name);

struct IssueRequest {
  std::string name;                       // CN and O; required
  std::string organization_id;            // organizationIdentifier; required
  std::vector<std::string> roles;         // OU values among kRoleConsumer, kRoleSource, kRoleAdmin, kRoleRepository
  std::vector<std::string> dns_names;     // subjectAltName DNS entries (servers: "localhost")
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries (servers: "127.0.0.1")
  bool server = false;                    // extendedKeyUsage serverAuth besides clientAuth
  // absl::InfinitePast() means the default: now - 1 hour .. now + 365 days. not_after may lie
  // in the past (expired certificates for tests); it must be later than not_before.
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfinitePast();
  std::string out_dir;  // default: <ca_dir>/issued
};

struct Issued {
  std::string cert_path;   // absolute; PEM certificate
  std::string key_path;    // absolute; PEM private key (PKCS#8, unencrypted, mode 0600)
  std::string serial_hex;  // upper-case hex, no leading zeros (as BN_bn2hex prints it)
};

// An ECDSA P-256 key and a certificate signed by the CA in `ca_dir`: keyUsage critical
// digitalSignature+keyAgreement, extendedKeyUsage clientAuth (+serverAuth when `server`),
// basicConstraints CA:FALSE, subjectAltName when DNS names or IP addresses are given,
// subject/authority key identifiers, a random positive 128-bit serial. Records it in the
// index. InvalidArgument for a missing name/organization id, an unknown role, a malformed
// DNS name or IP address or an empty validity; NotFound when `ca_dir` holds no CA.
absl::StatusOr<Issued> Issue(const std::string& ca_dir, const IssueRequest& request);

// Marks a certificate revoked in the index and rewrites crl.pem (and crl/<hash>.r0) with every
// revoked serial: signed by the CA, lastUpdate now, nextUpdate now + 30 days. The argument is
// a PEM certificate file (which must have been issued by this CA) or a serial in hex. NotFound
// when the index has no such serial. Revoking twice is not an error.
absl::Status Revoke(const std::string& ca_dir, const std::string& cert_path_or_serial_hex);

// Re-signs crl.pem (and crl/<hash>.r0) with the revocations the index holds, lastUpdate now,
// nextUpdate now + 30 days: run it (xdsctl pki crl, e.g. weekly from cron) so the CRL the
// services load never expires. NotFound when `ca_dir` holds no CA.
absl::Status RefreshCrl(const std::string& ca_dir);

}  // namespace xds::pki

#endif  // XDS_TOOLS_PKI_PKI_H_
