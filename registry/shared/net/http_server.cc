#include "registry/shared/net/http_server.h"

#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace xds::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr char kTooLargeFault[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><s:Fault>"
    "<s:Code><s:Value>s:Sender</s:Value></s:Code>"
    "<s:Reason><s:Text xml:lang=\"en\">Request body exceeds the configured limit of %s bytes</s:Text></s:Reason>"
    "</s:Fault></s:Body></s:Envelope>";

class ServerImpl : public Server {
 public:
  ServerImpl(const ServerOptions& options, Handler handler)
      : options_(options), handler_(std::move(handler)), acceptor_(io_) {}

  ~ServerImpl() override { Shutdown(); }

  absl::Status Listen() {
    boost::system::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(options_.address, ec), options_.port);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen address ", options_.address));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(1024, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                        options_.port, ": ", ec.message()));
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ec;
    acceptor_.cancel(ec);
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    acceptor_.close(ec);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::unique_lock<std::mutex> lock(mu_);
    for (int fd : open_sockets_) ::shutdown(fd, SHUT_RDWR);
    cv_.wait(lock, [this] { return active_ == 0; });
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return active_ < options_.max_connections || stopping_; });
        if (stopping_) return;
      }
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        continue;
      }
      int fd = socket.native_handle();
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // no 40 ms Nagle stalls
      timeval tv{options_.idle_timeout_seconds, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++active_;
        open_sockets_.insert(fd);
      }
      std::thread([this, s = std::move(socket)]() mutable {
        int fd = s.native_handle();
        Serve(s);
        std::lock_guard<std::mutex> lock(mu_);
        open_sockets_.erase(fd);
        --active_;
        cv_.notify_all();
      }).detach();
    }
  }

  void Serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      parser.header_limit(64 * 1024);
      boost::system::error_code ec;
      bhttp::read(socket, buffer, parser, ec);
      if (ec == bhttp::error::body_limit) {
        bhttp::response<bhttp::string_body> res{bhttp::status::payload_too_large, 11};
        res.set(bhttp::field::content_type, "application/soap+xml; charset=UTF-8");
        res.set(bhttp::field::connection, "close");
        char text[sizeof(kTooLargeFault) + 32];
        std::snprintf(text, sizeof(text), kTooLargeFault, std::to_string(options_.max_body_bytes).c_str());
        res.body() = text;
        res.prepare_payload();
        bhttp::write(socket, res, ec);
        break;  // the rest of the oversized body is unread; the connection cannot be reused
      }
      if (ec) break;  // closed, timed out or malformed HTTP
      auto& req = parser.get();
      Request request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      request.content_type = std::string(req[bhttp::field::content_type]);
      request.body = std::move(req.body());
      Response response = handler_(request);
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), req.version()};
      res.set(bhttp::field::server, "xds");
      if (!response.content_type.empty()) res.set(bhttp::field::content_type, response.content_type);
      res.keep_alive(req.keep_alive() && !stopping_);
      res.body() = std::move(response.body);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  ServerOptions options_;
  Handler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  std::set<int> open_sockets_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options, Handler handler) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  absl::Status status = server->Listen();
  if (!status.ok()) return status;
  return std::unique_ptr<Server>(std::move(server));
}

void TuneMalloc(char** argv) {
  constexpr char kTcache[] = "glibc.malloc.tcache_count=1000";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables == nullptr || std::strstr(tunables, "glibc.malloc.tcache_count=") == nullptr) {
    std::string value = tunables == nullptr ? kTcache : absl::StrCat(tunables, ":", kTcache);
    setenv("GLIBC_TUNABLES", value.c_str(), 1);
    execv("/proc/self/exe", argv);  // returns only when it failed: run with glibc's default
  }
  mallopt(M_TRIM_THRESHOLD, 256 << 20);  // keep up to 256 MiB free at the top of each heap
  mallopt(M_MMAP_THRESHOLD, 32 << 20);   // bodies and documents below 32 MiB come from the heaps
}

}  // namespace xds::http
