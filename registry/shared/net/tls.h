// TLS for every endpoint of both services and their clients (IHE ATNA Secure Node, BCP195):
// TLS 1.2 with ECDHE and AES-GCM only, or TLS 1.3 with AES-GCM; mutual authentication
// against the region's CA, with its CRL; session resumption. One configuration, the files
// of `Files`, serves the SOAP server, the SOAP client and (as PEM text) gRPC.
//
// Who a verified certificate names, by the region's convention (tools/pki issues them so):
// the organisation id in the subject's organizationIdentifier (2.5.4.97, e.g. an OID or a
// URA number as NTRNL-<URA>; another subject attribute with SetOrganizationAttribute), its
// name in O, and the node's rights as OU values (kRoleConsumer ...).
#ifndef XDS_REGISTRY_SHARED_NET_TLS_H_
#define XDS_REGISTRY_SHARED_NET_TLS_H_

#include <openssl/x509.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"

namespace xds::tls {

// The rights a node certificate may carry (subject OU values).
inline constexpr char kRoleConsumer[] = "consumer";  // ITI-18, ITI-43
inline constexpr char kRoleSource[] = "source";      // ITI-41, ITI-42
inline constexpr char kRoleAdmin[] = "admin";        // the gRPC administration verbs
// A Document Repository: registers ITI-41 submissions on behalf of their sources and asks
// the registry's access decision for ITI-43.
inline constexpr char kRoleRepository[] = "repository";

// PEM files. `crl` may be empty (no revocation list); the others are all set or all empty.
struct Files {
  std::string ca;
  std::string cert;
  std::string key;
  std::string crl;
  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
};

// What a verified client certificate says about the node that presented it.
struct PeerIdentity {
  std::string subject;  // RFC 2253 distinguished name; empty over plain transport
  std::string organization_id;
  std::string organization_name;
  std::vector<std::string> roles;
  bool HasRole(const std::string& role) const;
};

PeerIdentity IdentityOf(X509* certificate);

// The subject attribute that holds the organisation id, for every IdentityOf of this
// process: a short name (organizationIdentifier, serialNumber, ...) or a dotted OID. Call
// once at start-up, before serving; InvalidArgument for an unknown attribute.
absl::Status SetOrganizationAttribute(const std::string& name_or_oid);
// The same from a PEM certificate (what gRPC's auth context carries).
PeerIdentity IdentityOfPem(const std::string& pem);

// The server's TLS context, re-read on demand (SIGHUP) without dropping service: a
// handshake uses the context current when its connection was accepted. A reload whose
// files do not load keeps the previous context and says why.
class ServerContext {
 public:
  static absl::StatusOr<std::shared_ptr<ServerContext>> Load(const Files& files);
  std::shared_ptr<boost::asio::ssl::context> current() const;
  absl::Status Reload();
  const Files& files() const { return files_; }

 private:
  explicit ServerContext(Files files) : files_(std::move(files)) {}
  Files files_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
};

// A client context presenting `files.cert` and verifying the server against `files.ca`
// (and its host name or address, by the caller, with SSL_set1_host).
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientContext(const Files& files);

// The OpenSSL subject hash of a PEM CRL's issuer, as file names in a CRL directory use it.
absl::StatusOr<std::string> CrlIssuerHash(const std::string& pem);

// Reads a whole file (PEM material for gRPC's credentials).
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace xds::tls

#endif  // XDS_REGISTRY_SHARED_NET_TLS_H_
