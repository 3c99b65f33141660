#include "registry/shared/audit/atna_sender.h"

#include <openssl/ssl.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xds::audit {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

absl::StatusOr<std::vector<AtnaDestination>> ParseAuditSyslog(std::string_view flag) {
  // absl's own string_view (Debian's absl does not alias std::string_view).
  const absl::string_view value(flag.data(), flag.size());
  std::vector<AtnaDestination> destinations;
  if (absl::StripAsciiWhitespace(value).empty()) return destinations;
  std::set<std::string> seen;
  for (absl::string_view entry : absl::StrSplit(value, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    auto invalid = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("XDS_AUDIT_SYSLOG: '", entry, "' is not udp://HOST:PORT or tls://HOST:PORT"));
    };
    AtnaDestination d;
    d.url = std::string(entry);
    absl::string_view rest = entry;
    if (absl::ConsumePrefix(&rest, "tls://")) {
      d.transport = AtnaDestination::Transport::kTls;
    } else if (absl::ConsumePrefix(&rest, "udp://")) {
      d.transport = AtnaDestination::Transport::kUdp;
    } else {
      return invalid();
    }
    absl::string_view port;
    if (absl::ConsumePrefix(&rest, "[")) {  // [IPv6]:PORT
      const size_t close = rest.find("]:");
      if (close == std::string_view::npos) return invalid();
      d.host = std::string(rest.substr(0, close));
      port = rest.substr(close + 2);
      boost::system::error_code not_v6;
      asio::ip::make_address_v6(d.host, not_v6);
      if (not_v6) return invalid();
    } else {
      const size_t colon = rest.rfind(':');
      if (colon == std::string_view::npos) return invalid();
      d.host = std::string(rest.substr(0, colon));
      port = rest.substr(colon + 1);
      const bool name_chars = std::all_of(d.host.begin(), d.host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_';
      });
      if (!name_chars) return invalid();
    }
    uint32_t number = 0;
    if (d.host.empty() || !absl::SimpleAtoi(port, &number) || number == 0 || number > 65535 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return invalid();
    }
    d.port = static_cast<uint16_t>(number);
    // Each destination keeps its own cursor, named after its URL: one URL, one cursor.
    if (!seen.insert(d.url).second) {
      return absl::InvalidArgumentError(absl::StrCat("XDS_AUDIT_SYSLOG: '", entry, "' is listed twice"));
    }
    destinations.push_back(std::move(d));
  }
  return destinations;
}

// One destination's transport, used by the sender's thread only. Every wait is bounded by
// the I/O timeout and by the sender stopping.
class AtnaSender::Connection {
 public:
  Connection(AtnaDestination destination, std::shared_ptr<asio::ssl::context> context, absl::Duration timeout,
             const std::atomic<bool>* stopping)
      : destination_(std::move(destination)), context_(std::move(context)), timeout_(timeout), stopping_(stopping) {}

  // Writes `messages` (RFC 5424 messages) in order: one datagram each over UDP, octet-counted
  // on the TLS stream. OK once every one was handed to the network. `skipped` counts UDP
  // messages too large for any datagram.
  absl::Status Write(const std::vector<std::string>& messages, int* skipped) {
    return destination_.transport == AtnaDestination::Transport::kUdp ? WriteUdp(messages, skipped)
                                                                      : WriteTls(messages);
  }

 private:
  // Runs one asynchronous operation to its end, or cancels it (`cancel`, else the TLS
  // socket's operations) at the deadline or when the sender stops.
  template <typename Start>
  boost::system::error_code Run(absl::Duration limit, Start start, const std::function<void()>& cancel = nullptr) {
    bool done = false;
    boost::system::error_code result;
    io_.restart();
    start([&](const boost::system::error_code& ec, auto&&...) {
      done = true;
      result = ec;
    });
    const absl::Time deadline = absl::Now() + limit;
    while (!done) {
      if (stopping_->load() || absl::Now() >= deadline) {
        if (cancel) {
          cancel();
        } else if (tls_) {
          boost::system::error_code ignored;
          tls_->lowest_layer().cancel(ignored);
        }
        io_.run();  // the cancelled operation's handler
        return done && !result ? result : asio::error::timed_out;
      }
      io_.run_for(std::chrono::milliseconds(50));
    }
    return result;
  }

  absl::Status Resolve(std::vector<tcp::endpoint>* out) {
    tcp::resolver resolver(io_);
    tcp::resolver::results_type results;
    const boost::system::error_code error = Run(
        timeout_,
        [&](auto handler) {
          resolver.async_resolve(
              destination_.host, std::to_string(destination_.port),
              [&results, handler](const boost::system::error_code& ec, tcp::resolver::results_type found) mutable {
                results = std::move(found);
                handler(ec);
              });
        },
        [&resolver] { resolver.cancel(); });
    if (error) return absl::UnavailableError(absl::StrCat("cannot resolve ", destination_.host, ": ", error.message()));
    for (const auto& entry : results) out->push_back(entry.endpoint());
    return absl::OkStatus();
  }

  absl::Status WriteUdp(const std::vector<std::string>& messages, int* skipped) {
    if (!udp_) {
      std::vector<tcp::endpoint> endpoints;
      if (absl::Status status = Resolve(&endpoints); !status.ok()) return status;
      if (endpoints.empty()) return absl::UnavailableError(absl::StrCat("no address for ", destination_.host));
      udp_target_ = udp::endpoint(endpoints.front().address(), endpoints.front().port());
      udp_.emplace(io_);
      boost::system::error_code error;
      udp_->open(udp_target_.protocol(), error);
      if (error) {
        udp_.reset();
        return absl::UnavailableError(absl::StrCat("UDP socket: ", error.message()));
      }
    }
    for (const std::string& message : messages) {
      boost::system::error_code error;
      udp_->send_to(asio::buffer(message), udp_target_, 0, error);
      if (error == asio::error::message_size) {
        // RFC 5426 has no way to send it; the event stays in the trail.
        ++*skipped;
        continue;
      }
      if (error) {
        udp_.reset();
        return absl::UnavailableError(absl::StrCat("UDP send to ", destination_.url, ": ", error.message()));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Connect() {
    std::vector<tcp::endpoint> endpoints;
    if (absl::Status status = Resolve(&endpoints); !status.ok()) return status;
    tls_.emplace(io_, *context_);
    // The repository's certificate must name the host (or address) configured.
    SSL_set1_host(tls_->native_handle(), destination_.host.c_str());
    boost::system::error_code not_address;
    asio::ip::make_address(destination_.host, not_address);
    if (not_address) SSL_set_tlsext_host_name(tls_->native_handle(), destination_.host.c_str());
    boost::system::error_code error =
        Run(timeout_, [&](auto handler) { asio::async_connect(tls_->next_layer(), endpoints, handler); });
    if (!error) {
      error = Run(timeout_, [&](auto handler) { tls_->async_handshake(asio::ssl::stream_base::client, handler); });
    }
    if (error) {
      Close();
      return absl::UnavailableError(absl::StrCat("cannot connect to ", destination_.url, ": ", error.message()));
    }
    return absl::OkStatus();
  }

  // Whether the repository closed the connection. A syslog receiver never sends data
  // (RFC 5425), so what arrives is its close_notify or FIN, or TLS 1.3 session tickets:
  // a short read tells them apart. Writing into a connection the peer has closed would
  // "succeed" into the kernel's buffer and lose the batch.
  bool PeerClosed() {
    pollfd fd{tls_->lowest_layer().native_handle(), POLLIN, 0};
    const int ready = ::poll(&fd, 1, 0);
    if (ready == 0) return false;
    if (ready < 0 || (fd.revents & (POLLERR | POLLNVAL)) != 0) return true;
    char byte[256];
    const boost::system::error_code error =
        Run(absl::Milliseconds(200), [&](auto handler) { tls_->async_read_some(asio::buffer(byte), handler); });
    // Nothing but handshake messages within the wait: still open.
    return error && error != asio::error::timed_out;
  }

  absl::Status WriteTls(const std::vector<std::string>& messages) {
    if (tls_ && PeerClosed()) Close();
    if (!tls_) {
      if (absl::Status status = Connect(); !status.ok()) return status;
    }
    std::string stream;
    for (const std::string& message : messages) stream += OctetCounted(message);
    const boost::system::error_code error =
        Run(timeout_, [&](auto handler) { asio::async_write(*tls_, asio::buffer(stream), handler); });
    if (error) {
      Close();
      return absl::UnavailableError(absl::StrCat("write to ", destination_.url, ": ", error.message()));
    }
    return absl::OkStatus();
  }

  void Close() {
    if (!tls_) return;
    boost::system::error_code ignored;
    tls_->lowest_layer().close(ignored);
    tls_.reset();
  }

  const AtnaDestination destination_;
  const std::shared_ptr<asio::ssl::context> context_;
  const absl::Duration timeout_;
  const std::atomic<bool>* const stopping_;
  asio::io_context io_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
  std::optional<udp::socket> udp_;
  udp::endpoint udp_target_;
};

absl::StatusOr<std::unique_ptr<AtnaSender>> AtnaSender::Start(Trail* trail, Options options) {
  std::shared_ptr<asio::ssl::context> context;
  if (options.destination.transport == AtnaDestination::Transport::kTls) {
    if (options.tls.ca.empty() || options.tls.cert.empty() || options.tls.key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.destination.url,
                       ": ATNA over TLS needs the node's certificate, its key and the CA (--tls_cert, "
                       "--tls_key, --tls_ca)"));
    }
    auto made = tls::MakeClientContext(options.tls);
    if (!made.ok()) return made.status();
    context = *std::move(made);
  }
  std::unique_ptr<AtnaSender> sender(new AtnaSender(trail, std::move(options), nullptr));
  sender->connection_ = std::make_unique<Connection>(sender->options_.destination, std::move(context),
                                                     sender->options_.io_timeout, &sender->stopping_);
  sender->thread_ = std::thread([s = sender.get()] { s->Run(); });
  return sender;
}

AtnaSender::AtnaSender(Trail* trail, Options options, std::unique_ptr<Connection> connection)
    : trail_(trail),
      options_(std::move(options)),
      cursor_name_(absl::StrCat("atna:", options_.destination.url)),
      connection_(std::move(connection)) {}

AtnaSender::~AtnaSender() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

AtnaSender::Stats AtnaSender::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void AtnaSender::SetError(std::string error) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.last_error = std::move(error);
}

void AtnaSender::Backoff(absl::Duration* delay) {
  const absl::Time until = absl::Now() + *delay;
  while (!stopping_ && absl::Now() < until) absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
  *delay = std::min(*delay * 2, options_.max_backoff);
}

// One line when the backlog crosses the threshold, one when it is down to half of it again
// (the margin keeps a backlog hovering at the threshold from writing a line per batch).
void AtnaSender::UpdateBacklog(int64_t cursor) {
  const int64_t backlog = std::max<int64_t>(0, trail_->LastSeq() - cursor);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.cursor = cursor;
  stats_.backlog = backlog;
  if (!stats_.alarm && backlog > options_.backlog_alarm) {
    stats_.alarm = true;
    std::fprintf(stderr,
                 "ALARM audit: ATNA repository %s is %lld events behind (threshold %lld); they are kept in the "
                 "audit trail and sent in order when it accepts them; last error: %s\n",
                 options_.destination.url.c_str(), static_cast<long long>(backlog),
                 static_cast<long long>(options_.backlog_alarm),
                 stats_.last_error.empty() ? "none" : stats_.last_error.c_str());
  } else if (stats_.alarm && backlog <= options_.backlog_alarm / 2) {
    stats_.alarm = false;
    std::fprintf(stderr, "RECOVERED audit: ATNA repository %s is %lld events behind\n",
                 options_.destination.url.c_str(), static_cast<long long>(backlog));
  }
}

void AtnaSender::Run() {
  absl::Duration delay = options_.min_backoff;
  std::optional<int64_t> cursor;
  while (!stopping_) {
    if (!cursor) {
      auto stored = trail_->Cursor(cursor_name_);
      if (!stored.ok()) {
        SetError(std::string(stored.status().message()));
        Backoff(&delay);
        continue;
      }
      cursor = *stored;
    }
    UpdateBacklog(*cursor);
    // Read before the events, so that an empty answer covers every event up to it.
    const int64_t last = trail_->LastSeq();
    auto events = trail_->ReadAfter(*cursor, options_.batch, /*own_only=*/true);
    if (!events.ok()) {
      SetError(std::string(events.status().message()));
      Backoff(&delay);
      continue;
    }
    if (events->empty()) {
      if (last > *cursor) {
        // Only events forwarded from other nodes: not ours to send, step past them.
        if (absl::Status saved = trail_->SetCursor(cursor_name_, last); !saved.ok()) {
          SetError(std::string(saved.message()));
        }
        cursor = last;
        continue;
      }
      trail_->WaitBeyond(*cursor, absl::Milliseconds(100));
      continue;
    }
    std::vector<std::string> messages;
    messages.reserve(events->size());
    for (const AuditEvent& event : *events) {
      messages.push_back(SyslogMessage(event, options_.source, ToAuditMessage(event, options_.source)));
    }
    int skipped = 0;
    if (absl::Status written = connection_->Write(messages, &skipped); !written.ok()) {
      SetError(std::string(written.message()));
      Backoff(&delay);
      continue;
    }
    delay = options_.min_backoff;
    const int64_t through = events->back().seq();
    // A cursor that could not be saved is still right in memory; only a restart before the
    // next save would send this batch again.
    if (absl::Status saved = trail_->SetCursor(cursor_name_, through); !saved.ok()) {
      SetError(std::string(saved.message()));
    }
    cursor = through;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.sent += static_cast<int64_t>(events->size()) - skipped;
    if (skipped > 0) {
      stats_.last_error = absl::StrCat(skipped, " event(s) too large for one UDP datagram were not sent to ",
                                       options_.destination.url, " (they stay in the audit trail)");
    }
  }
}

}  // namespace xds::audit
