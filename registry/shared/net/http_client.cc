#include "registry/shared/net/http_client.h"

#include <netinet/tcp.h>

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"

namespace xds::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  Url out;
  if (url.substr(0, 8) == "https://") {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError("not an http:// or https:// URL: " + std::string(url));
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  size_t colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  out.port = colon != std::string_view::npos ? std::string(authority.substr(colon + 1)) : out.tls ? "443" : "80";
  if (out.host.empty()) return absl::InvalidArgumentError("URL without host");
  return out;
}

struct Client::Impl {
  Url url;
  std::shared_ptr<asio::ssl::context> tls_context;
  asio::io_context io;
  std::optional<asio::ssl::stream<tcp::socket>> tls;  // set on https
  tcp::socket socket{io};                             // plain http
  beast::flat_buffer buffer;
  bool connected = false;

  template <class F>
  auto WithStream(F&& f) {
    return tls ? f(*tls) : f(socket);
  }

  absl::Status Connect() {
    if (url.tls && tls_context == nullptr) {
      return absl::FailedPreconditionError("an https URL needs TLS client files (--tls_ca, --tls_cert, --tls_key)");
    }
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot resolve ", url.host, ": ", ec.message()));
    tcp::socket fresh(io);
    asio::connect(fresh, endpoints, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat("cannot connect to ", url.host, ":", url.port, ": ", ec.message()));
    fresh.set_option(tcp::no_delay(true), ec);
    buffer.clear();
    if (url.tls) {
      tls.emplace(std::move(fresh), *tls_context);
      SSL_set1_host(tls->native_handle(), url.host.c_str());  // the certificate must name the host (or IP)
      tls->handshake(asio::ssl::stream_base::client, ec);
      if (ec)
        return absl::UnavailableError(absl::StrCat("TLS handshake with ", url.host, ":", url.port, ": ", ec.message()));
    } else {
      socket = std::move(fresh);
    }
    connected = true;
    return absl::OkStatus();
  }

  absl::StatusOr<Response> Once(std::string_view content_type, std::string_view body) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, url.path, 11};
    req.set(bhttp::field::host, url.host + ":" + url.port);
    req.set(bhttp::field::content_type, content_type);
    req.keep_alive(true);
    req.body() = std::string(body);
    req.prepare_payload();
    boost::system::error_code ec;
    WithStream([&](auto& stream) { return bhttp::write(stream, req, ec); });
    if (ec) return absl::UnavailableError(absl::StrCat("write failed: ", ec.message()));
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1ull << 34);
    WithStream([&](auto& stream) { return bhttp::read(stream, buffer, parser, ec); });
    if (ec) return absl::UnavailableError(absl::StrCat("read failed: ", ec.message()));
    auto& res = parser.get();
    Response out;
    out.status = res.result_int();
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) connected = false;
    return out;
  }
};

Client::Client(Url url, std::shared_ptr<asio::ssl::context> tls) : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->tls_context = std::move(tls);
}
Client::~Client() = default;

absl::StatusOr<Response> Client::Post(std::string_view content_type, std::string_view body) {
  bool reused = impl_->connected;
  if (!impl_->connected) {
    absl::Status s = impl_->Connect();
    if (!s.ok()) return s;
  }
  auto r = impl_->Once(content_type, body);
  if (!r.ok() && reused) {  // the server may have closed an idle kept-alive connection
    impl_->connected = false;
    absl::Status s = impl_->Connect();
    if (!s.ok()) return s;
    r = impl_->Once(content_type, body);
  }
  if (!r.ok()) impl_->connected = false;
  return r;
}

std::string SoapEnvelope(std::string_view action, std::string_view to, std::string_view body_xml) {
  std::string a(action), t(to), b(body_xml);
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:a=\"http://www.w3.org/2005/08/addressing\">"
      "<s:Header><a:Action s:mustUnderstand=\"1\">",
      a,
      "</a:Action>"
      "<a:MessageID>",
      ebrim::NewUuidUrn(),
      "</a:MessageID>"
      "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"
      "<a:To s:mustUnderstand=\"1\">",
      t, "</a:To></s:Header><s:Body>", b, "</s:Body></s:Envelope>");
}

}  // namespace xds::http
