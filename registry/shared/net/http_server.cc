#include "registry/shared/net/http_server.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/net/session_table.h"

namespace xds::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr char kTooLargeFault[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><s:Fault>"
    "<s:Code><s:Value>s:Sender</s:Value></s:Code>"
    "<s:Reason><s:Text xml:lang=\"en\">Request body exceeds the configured limit of %s bytes</s:Text></s:Reason>"
    "</s:Fault></s:Body></s:Envelope>";

constexpr char kBusyFault[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><s:Fault>"
    "<s:Code><s:Value>s:Receiver</s:Value></s:Code>"
    "<s:Reason><s:Text xml:lang=\"en\">The service is at its connection limit; retry later</s:Text></s:Reason>"
    "</s:Fault></s:Body></s:Envelope>";

using StringResponse = bhttp::response<bhttp::string_body>;

// A response that closes the connection: the 413 and the 503 above.
std::shared_ptr<StringResponse> ClosingFault(bhttp::status status, std::string body) {
  auto res = std::make_shared<StringResponse>(status, 11);
  res->set(bhttp::field::content_type, "application/soap+xml; charset=UTF-8");
  res->set(bhttp::field::connection, "close");
  res->body() = std::move(body);
  res->prepare_payload();
  return res;
}

// Raises the soft descriptor limit to the hard one and returns how many connections fit
// under it, keeping a margin for the store's files, gRPC and the 503 refusals in flight.
int FitConnections(int wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return wanted;
  const auto soft = static_cast<int64_t>(std::min<rlim_t>(limit.rlim_cur, 1 << 30));
  const int64_t margin = std::max<int64_t>(64, std::min<int64_t>(1024, soft / 4));
  const int64_t fit = std::max<int64_t>(1, soft - margin);
  if (wanted <= fit) return wanted;
  std::cerr << "http: max_connections lowered from " << wanted << " to " << fit << " (RLIMIT_NOFILE " << soft << ")"
            << std::endl;
  return static_cast<int>(fit);
}

class ServerImpl;

// One thread and its own event loop. A connection lives on one loop for its whole life and
// its handler runs on that loop's thread, so a request costs one thread wake-up, as with a
// thread per connection (handing each request to a separate pool and back cost half the
// ITI-18 throughput at one client), while a stalled client holds only a socket.
struct Loop {
  asio::io_context io{1};  // one thread: no locking inside asio
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::atomic<int> sessions{0};
  std::thread thread;
};

// One connection. Every step, the handler included, runs on the thread of its loop.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `tls` is null for plain HTTP (development on loopback only).
  Session(ServerImpl* server, Loop* loop, tcp::socket socket, std::string peer, std::shared_ptr<asio::ssl::context> tls)
      : server_(server), loop_(loop), tls_context_(std::move(tls)), peer_(std::move(peer)) {
    if (tls_context_) {
      tls_.emplace(std::move(socket), *tls_context_);
    } else {
      plain_.emplace(std::move(socket));
    }
    ++loop_->sessions;
  }
  ~Session();

  void Start();
  void Close();
  asio::any_io_executor executor() { return tcp().get_executor(); }

 private:
  void OnHandshake(error_code ec);
  void WaitForRequest();
  void ReadHeader();
  void OnHeader(error_code ec);
  void OnBody(error_code ec);
  void Dispatch();
  void Write(std::shared_ptr<StringResponse> res);
  void SendTooLarge();

  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  // Runs `f` with the stream requests travel on: TLS over TCP, or TCP alone.
  template <class F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }

  ServerImpl* server_;
  Loop* loop_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // outlives tls_
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<beast::tcp_stream> plain_;
  tls::PeerIdentity identity_;  // the verified client certificate's
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
};

class ServerImpl : public Server {
 public:
  ServerImpl(const ServerOptions& options, Handler handler)
      : options_(options), handler_(std::move(handler)), acceptor_(accept_io_), retry_timer_(accept_io_) {
    options_.max_connections = FitConnections(std::max(1, options_.max_connections));
    // Handlers may block (a registration waits for its group commit): with as many loops as
    // handlers that may block at once, each of that many busy clients has a loop of its own.
    loops_.reserve(static_cast<size_t>(std::max(1, options_.handler_threads)));
    for (int i = 0; i < std::max(1, options_.handler_threads); ++i) loops_.push_back(std::make_unique<Loop>());
  }

  ~ServerImpl() override { Shutdown(); }

  absl::Status Listen() {
    if (absl::Status s = net::Listen(acceptor_, options_.address, options_.port, "HTTP"); !s.ok()) return s;
    port_ = acceptor_.local_endpoint().port();
    for (auto& loop : loops_) loop->thread = std::thread([l = loop.get()] { l->io.run(); });
    Accept();
    accept_thread_ = std::thread([this] { accept_io_.run(); });
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (stopping_.exchange(true)) return;
    asio::post(accept_io_, [this] {
      error_code ec;
      acceptor_.close(ec);
      retry_timer_.cancel();
    });
    if (accept_thread_.joinable()) accept_thread_.join();
    // A running handler finishes first (the close waits on its loop); its answer meets a
    // closed socket.
    sessions_.CloseAll();
    for (auto& loop : loops_) loop->work.reset();  // each loop returns once its connections are gone
    for (auto& loop : loops_) {
      if (loop->thread.joinable()) loop->thread.join();
    }
  }

  const ServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_; }

  std::optional<Response> RunHandler(const Request& request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {  // one bad request must not take the service down
      std::cerr << "http: handler failed for " << request.peer << ": " << e.what() << std::endl;
      return std::nullopt;
    }
  }

  void Forget(Session* session) { sessions_.Forget(session); }

 private:
  // The loop with the fewest connections, so that busy clients rarely share a thread.
  Loop* LeastLoaded() {
    Loop* best = loops_[next_++ % loops_.size()].get();
    for (auto& loop : loops_) {
      if (loop->sessions.load(std::memory_order_relaxed) < best->sessions.load(std::memory_order_relaxed)) {
        best = loop.get();
      }
    }
    return best;
  }

  void Accept() {
    Loop* loop = LeastLoaded();
    acceptor_.async_accept(loop->io, [this, loop](error_code ec, tcp::socket socket) {
      if (stopping_ || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors (or similar): retry shortly rather than spin on the error.
        retry_timer_.expires_after(std::chrono::milliseconds(50));
        retry_timer_.async_wait([this](error_code wait_ec) {
          if (!wait_ec && !stopping_) Accept();
        });
        return;
      }
      OnAccepted(loop, std::move(socket));
      Accept();
    });
  }

  void OnAccepted(Loop* loop, tcp::socket socket) {
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);  // no 40 ms Nagle stalls
    tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    std::shared_ptr<Session> session;
    auto added = sessions_.Add(
        options_.max_connections, stopping_,
        [&] {
          return std::make_shared<Session>(this, loop, std::move(socket), net::PeerAddress(remote),
                                           options_.tls ? options_.tls->current() : nullptr);
        },
        &session);
    if (added == net::SessionTable<Session>::Added::kFull) Refuse(std::move(socket));
    if (added != net::SessionTable<Session>::Added::kAdded) return;
    asio::post(session->executor(), [session] { session->Start(); });
  }

  // Answers 503 at once so that the client learns why instead of timing out, then lets it
  // close first (briefly reading what it sent) so that the answer is not lost to a reset.
  static void Refuse(tcp::socket socket) {
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    auto res = ClosingFault(bhttp::status::service_unavailable, kBusyFault);
    asio::post(stream->get_executor(), [stream, res] {
      stream->expires_after(std::chrono::seconds(2));
      bhttp::async_write(*stream, *res, [stream, res](error_code ec, size_t) {
        if (ec) return;
        stream->socket().shutdown(tcp::socket::shutdown_send, ec);
        auto drain = std::make_shared<std::array<char, 4096>>();
        stream->async_read_some(asio::buffer(*drain), [stream, drain](error_code, size_t) {});
      });
    });
  }

  ServerOptions options_;
  Handler handler_;
  net::SessionTable<Session> sessions_;
  std::atomic<bool> stopping_{false};
  // Declared after the session table: operations still pending at destruction own
  // sessions, whose destructors need their loop and the table.
  std::vector<std::unique_ptr<Loop>> loops_;
  size_t next_ = 0;  // accept thread only
  asio::io_context accept_io_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::thread accept_thread_;
  int port_ = 0;
};

Session::~Session() {
  --loop_->sessions;
  server_->Forget(this);
}

void Session::Start() {
  // A new connection has the header timeout for its handshake and first request, counted
  // from accept.
  if (!tls_) return ReadHeader();
  tcp().expires_after(std::chrono::seconds(server_->options().header_timeout_seconds));
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this()](error_code ec) { self->OnHandshake(ec); });
}

void Session::OnHandshake(error_code ec) {
  // No certificate, one the region's CA did not sign, an expired or a revoked one: OpenSSL
  // has failed the handshake already. A client that only connected and went away is no
  // authentication failure.
  if (ec) {
    if (ec.category() == asio::error::get_ssl_category() && server_->options().on_handshake_failure) {
      error_code peer_ec;
      tcp::endpoint remote = tcp().socket().remote_endpoint(peer_ec);
      server_->options().on_handshake_failure(
          peer_ec ? std::string() : remote.address().to_string() + ":" + std::to_string(remote.port()), ec.message());
    }
    return Close();
  }
  X509* certificate = SSL_get0_peer_certificate(tls_->native_handle());
  identity_ = tls::IdentityOf(certificate);
  ReadHeader();
}

void Session::Close() {
  error_code ec;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  tcp().close();
}

void Session::WaitForRequest() {
  if (server_->stopping()) return Close();
  if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
  // Between requests only the idle timeout applies; the header timeout starts with the
  // next request's first byte.
  tcp().expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
  WithStream([&](auto& stream) {
    stream.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code ec, size_t n) {
      if (ec) return self->Close();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  });
}

void Session::ReadHeader() {
  parser_.emplace();
  parser_->body_limit(server_->options().max_body_bytes);
  parser_->header_limit(64 * 1024);
  tcp().expires_after(std::chrono::seconds(server_->options().header_timeout_seconds));
  WithStream([&](auto& stream) {
    bhttp::async_read_header(stream, buffer_, *parser_,
                             [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  });
}

void Session::OnHeader(error_code ec) {
  if (ec == bhttp::error::body_limit) return SendTooLarge();  // Content-Length alone says too much
  if (ec) return Close();                                     // closed, timed out or malformed HTTP
  if (parser_->is_done()) return Dispatch();
  tcp().expires_after(std::chrono::seconds(server_->options().body_timeout_seconds));
  WithStream([&](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      [self = shared_from_this()](error_code read_ec, size_t) { self->OnBody(read_ec); });
  });
}

void Session::OnBody(error_code ec) {
  if (ec == bhttp::error::body_limit) return SendTooLarge();
  if (ec) return Close();
  Dispatch();
}

void Session::Dispatch() {
  if (server_->stopping()) return Close();
  tcp().expires_never();  // the handler may take its time; the client is waiting for it
  auto& req = parser_->get();
  Request request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.content_type = std::string(req[bhttp::field::content_type]);
  request.body = std::move(req.body());
  request.peer = peer_;
  request.identity = identity_;
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  std::optional<Response> response = server_->RunHandler(request);
  if (!response) return Close();
  auto res = std::make_shared<StringResponse>(static_cast<bhttp::status>(response->status), version);
  res->set(bhttp::field::server, "xds");
  if (!response->content_type.empty()) res->set(bhttp::field::content_type, response->content_type);
  res->keep_alive(keep_alive && !server_->stopping());
  res->body() = std::move(response->body);
  res->prepare_payload();
  Write(std::move(res));
}

void Session::Write(std::shared_ptr<StringResponse> res) {
  // A retrieved document may be hundreds of MB: allow a modest reader the idle timeout.
  tcp().expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
  WithStream([&](auto& stream) {
    bhttp::async_write(stream, *res, [self = shared_from_this(), res](error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->WaitForRequest();
    });
  });
}

void Session::SendTooLarge() {
  char text[sizeof(kTooLargeFault) + 32];
  std::snprintf(text, sizeof(text), kTooLargeFault, std::to_string(server_->options().max_body_bytes).c_str());
  // Write() closes afterwards: the rest of the oversized body is unread, so the connection
  // cannot be reused.
  Write(ClosingFault(bhttp::status::payload_too_large, text));
}

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
