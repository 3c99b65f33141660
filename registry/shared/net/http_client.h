// A blocking HTTP/1.1 client with keep-alive (Boost.Beast), for xdsctl, tests and
// benchmarks talking SOAP to any XDS.b endpoint.
#ifndef XDS_REGISTRY_SHARED_NET_HTTP_CLIENT_H_
#define XDS_REGISTRY_SHARED_NET_HTTP_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "registry/shared/net/http_server.h"

namespace xds::http {

// "http://host:port/path" or "https://..." split up.
struct Url {
  std::string host;
  std::string port;
  std::string path;
  bool tls = false;
};
absl::StatusOr<Url> ParseUrl(std::string_view url);

class Client {
 public:
  // `tls` (tls::MakeClientContext) presents our certificate and verifies the server's
  // against the CA and the URL's host; an https URL needs it.
  explicit Client(Url url, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~Client();
  // POSTs `body`; reconnects once when a kept-alive connection was closed by the server.
  absl::StatusOr<Response> Post(std::string_view content_type, std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds a SOAP 1.2 envelope with WS-Addressing headers around `body_xml` (an element).
std::string SoapEnvelope(std::string_view action, std::string_view to, std::string_view body_xml);

}  // namespace xds::http

#endif  // XDS_REGISTRY_SHARED_NET_HTTP_CLIENT_H_
