#include "registry/shared/net/http_client.h"

#include <netinet/tcp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"

namespace xds::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError("not an http:// URL: " + std::string(url));
  }
  url.remove_prefix(kScheme.size());
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  Url out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  size_t colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (out.host.empty()) return absl::InvalidArgumentError("URL without host");
  return out;
}

struct Client::Impl {
  Url url;
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  bool connected = false;

  absl::Status Connect() {
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot resolve ", url.host, ": ", ec.message()));
    socket = tcp::socket(io);
    asio::connect(socket, endpoints, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat("cannot connect to ", url.host, ":", url.port, ": ", ec.message()));
    socket.set_option(tcp::no_delay(true), ec);
    buffer.clear();
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
    bhttp::write(socket, req, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("write failed: ", ec.message()));
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1ull << 34);
    bhttp::read(socket, buffer, parser, ec);
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

Client::Client(Url url) : impl_(std::make_unique<Impl>()) { impl_->url = std::move(url); }
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
