#include "registry/iti8/mllp_server.h"

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/str_cat.h"
#include "registry/shared/hl7v2/mllp.h"
#include "registry/shared/net/session_table.h"

namespace xds::iti8 {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class ServerImpl;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl* server, tcp::socket socket, std::string peer, std::shared_ptr<asio::ssl::context> tls);
  ~Session();
  void Start();
  void Close();
  asio::any_io_executor executor() { return tcp().get_executor(); }

 private:
  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  template <class F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }
  void Read();
  void OnRead(error_code ec, size_t n);
  void Next();
  void Refuse(const std::string& reason, bool handshake);

  ServerImpl* server_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // outlives tls_
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<beast::tcp_stream> plain_;
  MllpPeer peer_;
  hl7v2::MllpFramer framer_;
  std::array<char, 16384> buffer_;
  std::deque<std::string> pending_;  // complete messages not answered yet
  std::string reply_;
  std::chrono::steady_clock::time_point frame_deadline_;
};

class ServerImpl : public MllpServer {
 public:
  ServerImpl(const MllpServerOptions& options, MllpCallbacks callbacks)
      : options_(options),
        callbacks_(std::move(callbacks)),
        io_(std::make_unique<asio::io_context>(std::max(1, options.handler_threads))),
        acceptor_(std::make_unique<tcp::acceptor>(*io_)) {}
  ~ServerImpl() override {
    Shutdown();
    // Handlers still queued own sessions, whose destructors need this server: drop them
    // while it is whole.
    acceptor_.reset();
    io_.reset();
  }

  absl::Status Listen() {
    if (absl::Status s = net::Listen(*acceptor_, options_.address, options_.port, "MLLP"); !s.ok()) return s;
    port_ = acceptor_->local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, options_.handler_threads); ++i) {
      threads_.emplace_back([this] { io_->run(); });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (stopping_.exchange(true)) return;
    asio::post(*io_, [this] {
      error_code ec;
      acceptor_->close(ec);
    });
    sessions_.CloseAll();
    io_->stop();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  const MllpServerOptions& options() const { return options_; }
  const MllpCallbacks& callbacks() const { return callbacks_; }
  bool stopping() const { return stopping_; }
  void Forget(Session* session) { sessions_.Forget(session); }

 private:
  void Accept() {
    acceptor_->async_accept(asio::make_strand(*io_), [this](error_code ec, tcp::socket socket) {
      if (stopping_ || ec == asio::error::operation_aborted) return;
      if (!ec) OnAccepted(std::move(socket));
      Accept();
    });
  }

  void OnAccepted(tcp::socket socket) {
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;
    std::shared_ptr<Session> session;
    auto added = sessions_.Add(
        options_.max_connections, stopping_,
        [&] {
          return std::make_shared<Session>(this, std::move(socket), net::PeerAddress(remote),
                                           options_.tls ? options_.tls->current() : nullptr);
        },
        &session);
    // Full: there is no MLLP way to say "busy"; the socket closes and the sender retries later.
    if (added != net::SessionTable<Session>::Added::kAdded) return;
    asio::post(session->executor(), [session] { session->Start(); });
  }

  MllpServerOptions options_;
  MllpCallbacks callbacks_;
  net::SessionTable<Session> sessions_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

Session::Session(ServerImpl* server, tcp::socket socket, std::string peer, std::shared_ptr<asio::ssl::context> tls)
    : server_(server), tls_context_(std::move(tls)), framer_(server->options().max_frame_bytes) {
  peer_.address = std::move(peer);
  if (tls_context_) {
    tls_.emplace(std::move(socket), *tls_context_);
  } else {
    plain_.emplace(std::move(socket));
  }
}

Session::~Session() { server_->Forget(this); }

void Session::Start() {
  if (!tls_) return Read();
  tcp().expires_after(std::chrono::seconds(server_->options().frame_timeout_seconds));
  tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
    if (ec) {
      // A client that connected and left is no authentication failure.
      if (ec.category() == asio::error::get_ssl_category()) self->Refuse(ec.message(), /*handshake=*/true);
      return self->Close();
    }
    self->peer_.identity = tls::IdentityOf(SSL_get0_peer_certificate(self->tls_->native_handle()));
    self->Read();
  });
}

void Session::Close() {
  error_code ec;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  tcp().close();
}

void Session::Refuse(const std::string& reason, bool handshake) {
  if (server_->callbacks().on_refused) {
    server_->callbacks().on_refused(peer_, reason, handshake);
  } else {
    std::cerr << "mllp: " << peer_.address << ": " << reason << std::endl;
  }
}

void Session::Read() {
  if (server_->stopping()) return Close();
  // A frame under way must finish by its deadline; between frames the idle timeout runs.
  if (framer_.in_frame()) {
    tcp().expires_at(frame_deadline_);
  } else {
    tcp().expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
  }
  WithStream([&](auto& stream) {
    stream.async_read_some(asio::buffer(buffer_),
                           [self = shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
  });
}

void Session::OnRead(error_code ec, size_t n) {
  if (ec) {
    if (ec == beast::error::timeout && framer_.in_frame()) Refuse("MLLP frame not completed in time", false);
    return Close();
  }
  const bool was_in_frame = framer_.in_frame();
  std::vector<std::string> frames;
  const bool ok = framer_.Feed(std::string_view(buffer_.data(), n), &frames);
  for (std::string& frame : frames) pending_.push_back(std::move(frame));
  if (!ok) {
    // What came before the error is answered; the stream is out of step after it.
    Refuse(framer_.error(), false);
    pending_.push_back(std::string());  // marks the close
  }
  if (!was_in_frame || !frames.empty()) {
    frame_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(server_->options().frame_timeout_seconds);
  }
  Next();
}

// Answers the pending messages one by one, then reads on.
void Session::Next() {
  if (pending_.empty()) return Read();
  std::string message = std::move(pending_.front());
  pending_.pop_front();
  if (message.empty()) return Close();
  // The handler may block (the store's group commit): the client waits for its ACK.
  tcp().expires_never();
  std::string reply;
  try {
    reply = server_->callbacks().on_message(message, peer_);
  } catch (const std::exception& e) {  // one bad message must not take the service down
    std::cerr << "mllp: handler failed for " << peer_.address << ": " << e.what() << std::endl;
    return Close();
  }
  reply_ = hl7v2::Frame(reply);
  tcp().expires_after(std::chrono::seconds(server_->options().frame_timeout_seconds));
  WithStream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(reply_), [self = shared_from_this()](error_code write_ec, size_t) {
      if (write_ec) return self->Close();
      self->Next();
    });
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<MllpServer>> StartMllpServer(const MllpServerOptions& options, MllpCallbacks callbacks) {
  auto server = std::make_unique<ServerImpl>(options, std::move(callbacks));
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  return std::unique_ptr<MllpServer>(std::move(server));
}

}  // namespace xds::iti8
