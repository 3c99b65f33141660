// The ATNA sender against real syslog listeners on 127.0.0.1: a mutual-TLS one (RFC 5425)
// with certificates from a test region CA, and a UDP one (RFC 5426). The trail is the
// SQLite one the services keep.
#include "registry/shared/audit/atna_sender.h"

#include <poll.h>
#include <stdlib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <pugixml.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "registry/shared/audit/sqlite_trail.h"
#include "tools/pki/pki.h"

namespace xds::audit {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

std::string TempDir() {
  std::string pattern = ::testing::TempDir() + "/atna_XXXXXX";
  return mkdtemp(pattern.data());
}

// A region CA with a server certificate for 127.0.0.1 (the listener) and a client one (the
// sender).
struct Pki {
  tls::Files server;
  tls::Files client;
};

Pki MakePki(const std::string& dir) {
  Pki pki;
  const std::string ca = dir + "/ca";
  EXPECT_TRUE(pki::InitCa(ca, "Audit test").ok());
  pki::IssueRequest server;
  server.name = "Audit record repository";
  server.organization_id = "2.999.2";
  server.ip_addresses = {"127.0.0.1"};
  server.server = true;
  auto issued_server = pki::Issue(ca, server);
  EXPECT_TRUE(issued_server.ok()) << issued_server.status();
  pki::IssueRequest client;
  client.name = "Registry";
  client.organization_id = "2.999.3";
  client.roles = {tls::kRoleSource};
  auto issued_client = pki::Issue(ca, client);
  EXPECT_TRUE(issued_client.ok()) << issued_client.status();
  pki.server = {ca + "/" + pki::kCaCertFile, issued_server->cert_path, issued_server->key_path, ""};
  pki.client = {ca + "/" + pki::kCaCertFile, issued_client->cert_path, issued_client->key_path, ""};
  return pki;
}

// An RFC 5425 receiver: octet-counted messages over mutual TLS. Stop() closes every
// connection cleanly (close_notify, then FIN), as a repository that is shut down does.
class TlsListener {
 public:
  TlsListener(const tls::Files& files, uint16_t port) : acceptor_(io_) {
    auto context = tls::ServerContext::Load(files);
    EXPECT_TRUE(context.ok()) << context.status();
    context_ = (*context)->current();
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsListener() { Stop(); }

  uint16_t port() const { return port_; }

  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      acceptor_.close();
      for (const auto& session : sessions_) {
        session->stream.async_shutdown([](const boost::system::error_code&) {});
        auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
        timer->async_wait([session, timer](const boost::system::error_code&) {
          boost::system::error_code ignored;
          session->stream.lowest_layer().close(ignored);
        });
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    io_.stop();
    thread_.join();
    sessions_.clear();
  }

 private:
  struct Session {
    Session(asio::io_context& io, ssl::context& context) : stream(io, context) {}
    ssl::stream<tcp::socket> stream;
    std::string buffer;
    char chunk[4096];
  };

  void Accept() {
    auto session = std::make_shared<Session>(io_, *context_);
    acceptor_.async_accept(session->stream.lowest_layer(), [this, session](const boost::system::error_code& error) {
      if (error) return;
      sessions_.push_back(session);
      session->stream.async_handshake(ssl::stream_base::server, [this, session](const boost::system::error_code& e) {
        if (!e) Read(session);
      });
      Accept();
    });
  }

  void Read(const std::shared_ptr<Session>& session) {
    session->stream.async_read_some(
        asio::buffer(session->chunk), [this, session](const boost::system::error_code& error, size_t n) {
          if (error) return;
          session->buffer.append(session->chunk, n);
          // RFC 5425 frames: "LEN SP MSG".
          while (true) {
            const size_t space = session->buffer.find(' ');
            size_t length = 0;
            if (space == std::string::npos || !absl::SimpleAtoi(session->buffer.substr(0, space), &length)) break;
            if (session->buffer.size() < space + 1 + length) break;
            std::lock_guard<std::mutex> lock(mu_);
            messages_.push_back(session->buffer.substr(space + 1, length));
            session->buffer.erase(0, space + 1 + length);
          }
          Read(session);
        });
  }

  asio::io_context io_;
  std::shared_ptr<ssl::context> context_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::shared_ptr<Session>> sessions_;  // io thread only
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> messages_;  // guarded by mu_
};

// An RFC 5426 receiver: one message per datagram.
class UdpListener {
 public:
  UdpListener() : socket_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] {
      char datagram[65536];
      while (!stopping_) {
        pollfd fd{socket_.native_handle(), POLLIN, 0};
        if (::poll(&fd, 1, 50) <= 0) continue;
        udp::endpoint from;
        boost::system::error_code error;
        const size_t n = socket_.receive_from(asio::buffer(datagram), from, 0, error);
        if (error) continue;
        std::lock_guard<std::mutex> lock(mu_);
        messages_.emplace_back(datagram, n);
      }
    });
  }
  ~UdpListener() {
    stopping_ = true;
    thread_.join();
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  asio::io_context io_;
  udp::socket socket_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> messages_;
};

// Waits until `done()` holds, at most 20 seconds.
template <typename Done>
bool WaitFor(Done done) {
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (absl::Now() < until) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

AuditEvent Event(int i) {
  AuditEvent e;
  e.set_time_ms(1700000000000 + i);
  e.set_transaction("ITI-18");
  e.set_service("xds-registry");
  e.set_peer("127.0.0.1:5000");
  e.add_patient_ids(absl::StrCat("P", i, "^^^&2.999.1.2&ISO"));
  e.mutable_query()->set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  return e;
}

void Append(Trail* trail, int from, int to) {
  std::vector<AuditEvent> events;
  for (int i = from; i <= to; ++i) events.push_back(Event(i));
  auto appended = trail->Append(events);
  ASSERT_TRUE(appended.ok()) << appended.status();
}

// The patient of each received message, in order of arrival, and a check of its framing.
std::vector<std::string> Patients(const std::vector<std::string>& messages) {
  std::vector<std::string> patients;
  for (const std::string& message : messages) {
    EXPECT_EQ(message.rfind("<85>1 ", 0), 0u) << message.substr(0, 80);
    const std::string marker = " IHE+RFC-3881 - ";
    const size_t xml = message.find(marker);
    EXPECT_NE(xml, std::string::npos) << message.substr(0, 120);
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(message.substr(xml + marker.size()).c_str()));
    EXPECT_EQ(std::string(doc.select_node("/AuditMessage/EventIdentification/EventID/@csd-code").attribute().value()),
              "110112");
    patients.push_back(doc.select_node("/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole="
                                       "'1']/@ParticipantObjectID")
                           .attribute()
                           .value());
  }
  return patients;
}

std::vector<std::string> Expected(int from, int to) {
  std::vector<std::string> patients;
  for (int i = from; i <= to; ++i) patients.push_back(absl::StrCat("P", i, "^^^&2.999.1.2&ISO"));
  return patients;
}

AtnaSender::Options SenderOptions(AtnaDestination::Transport transport, uint16_t port, const tls::Files& files) {
  AtnaSender::Options options;
  options.destination.transport = transport;
  options.destination.host = "127.0.0.1";
  options.destination.port = port;
  options.destination.url =
      absl::StrCat(transport == AtnaDestination::Transport::kTls ? "tls://" : "udp://", "127.0.0.1:", port);
  options.source.host = "127.0.0.1";
  options.source.endpoint = "https://127.0.0.1:8443/xds/registry";
  options.tls = files;
  options.batch = 3;  // several batches per test
  options.min_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(200);
  options.io_timeout = absl::Seconds(5);
  return options;
}

uint16_t FreePort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class AtnaSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    pki_ = MakePki(dir_);
    auto trail = SqliteTrail::Open(dir_ + "/audit.db");
    ASSERT_TRUE(trail.ok()) << trail.status();
    trail_ = *std::move(trail);
  }
  std::string dir_;
  Pki pki_;
  std::unique_ptr<SqliteTrail> trail_;
};

TEST_F(AtnaSenderTest, TlsDeliversOctetCountedMessagesInOrderAndMovesTheCursor) {
  TlsListener listener(pki_.server, 0);
  auto sender =
      AtnaSender::Start(trail_.get(), SenderOptions(AtnaDestination::Transport::kTls, listener.port(), pki_.client));
  ASSERT_TRUE(sender.ok()) << sender.status();
  Append(trail_.get(), 1, 7);
  ASSERT_TRUE(WaitFor([&] { return listener.Messages().size() >= 7; })) << (*sender)->stats().last_error;
  EXPECT_EQ(Patients(listener.Messages()), Expected(1, 7));
  ASSERT_TRUE(WaitFor([&] { return (*sender)->stats().cursor == trail_->LastSeq(); }));
  const AtnaSender::Stats stats = (*sender)->stats();
  EXPECT_EQ(stats.sent, 7);
  EXPECT_EQ(stats.backlog, 0);
  EXPECT_FALSE(stats.alarm);
  EXPECT_EQ((*sender)->cursor_name(), absl::StrCat("atna:tls://127.0.0.1:", listener.port()));
  EXPECT_EQ(*trail_->Cursor((*sender)->cursor_name()), trail_->LastSeq());

  // Shutting down does not wait for anything but the thread's current step.
  const absl::Time before = absl::Now();
  sender->reset();
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
}

// A repository stopped cleanly while events keep coming: each event arrives exactly once
// and in order, the later ones at the restarted repository.
TEST_F(AtnaSenderTest, OutageDeliversEveryEventExactlyOnceInOrder) {
  auto first = std::make_unique<TlsListener>(pki_.server, 0);
  const uint16_t port = first->port();
  auto sender = AtnaSender::Start(trail_.get(), SenderOptions(AtnaDestination::Transport::kTls, port, pki_.client));
  ASSERT_TRUE(sender.ok()) << sender.status();
  Append(trail_.get(), 1, 4);
  ASSERT_TRUE(WaitFor([&] { return first->Messages().size() >= 4; }));
  ASSERT_TRUE(WaitFor([&] { return (*sender)->stats().cursor == trail_->LastSeq(); }));
  first->Stop();
  const std::vector<std::string> before = first->Messages();

  Append(trail_.get(), 5, 8);
  Append(trail_.get(), 9, 11);
  // It tried and failed, and counts what waits.
  ASSERT_TRUE(WaitFor([&] {
    const AtnaSender::Stats stats = (*sender)->stats();
    return !stats.last_error.empty() && stats.backlog == 7;
  }));
  EXPECT_EQ((*sender)->stats().sent, 4);

  TlsListener second(pki_.server, port);
  ASSERT_TRUE(WaitFor([&] { return second.Messages().size() >= 7; })) << (*sender)->stats().last_error;
  ASSERT_TRUE(WaitFor([&] { return (*sender)->stats().backlog == 0; }));
  absl::SleepFor(absl::Milliseconds(300));  // nothing more arrives
  EXPECT_EQ(Patients(before), Expected(1, 4));
  EXPECT_EQ(Patients(second.Messages()), Expected(5, 11));
  EXPECT_EQ((*sender)->stats().sent, 11);
}

TEST_F(AtnaSenderTest, UdpSendsOneMessagePerDatagramAndOnlyOwnEvents) {
  UdpListener listener;
  auto sender = AtnaSender::Start(trail_.get(), SenderOptions(AtnaDestination::Transport::kUdp, listener.port(), {}));
  ASSERT_TRUE(sender.ok()) << sender.status();
  Append(trail_.get(), 1, 2);
  // A repository's event the registry keeps for it: that node sends its own.
  std::vector<AuditEvent> forwarded = {Event(99)};
  forwarded[0].set_origin("CN=Repository");
  forwarded[0].set_origin_seq(1);
  ASSERT_TRUE(trail_->Append(forwarded).ok());
  Append(trail_.get(), 3, 4);
  ASSERT_TRUE(WaitFor([&] { return listener.Messages().size() >= 4; })) << (*sender)->stats().last_error;
  ASSERT_TRUE(WaitFor([&] { return (*sender)->stats().cursor == trail_->LastSeq(); }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(Patients(listener.Messages()), Expected(1, 4));
  EXPECT_EQ((*sender)->stats().sent, 4);
}

TEST_F(AtnaSenderTest, BacklogAboveTheThresholdWritesOneAlarmAndOneRecoveredLine) {
  const uint16_t port = FreePort();  // nobody listens yet
  AtnaSender::Options options = SenderOptions(AtnaDestination::Transport::kTls, port, pki_.client);
  options.backlog_alarm = 3;
  ::testing::internal::CaptureStderr();
  auto sender = AtnaSender::Start(trail_.get(), options);
  ASSERT_TRUE(sender.ok()) << sender.status();
  Append(trail_.get(), 1, 6);
  ASSERT_TRUE(WaitFor([&] { return (*sender)->stats().alarm; }));
  EXPECT_EQ((*sender)->stats().backlog, 6);
  // The alarm may rise before the first connection attempt has failed: wait for its error.
  EXPECT_TRUE(WaitFor([&] { return !(*sender)->stats().last_error.empty(); }));
  absl::SleepFor(absl::Milliseconds(300));  // more failed attempts, no more lines

  TlsListener listener(pki_.server, port);
  ASSERT_TRUE(WaitFor([&] { return listener.Messages().size() >= 6; })) << (*sender)->stats().last_error;
  ASSERT_TRUE(WaitFor([&] { return !(*sender)->stats().alarm; }));
  sender->reset();
  const std::string err = ::testing::internal::GetCapturedStderr();
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = err.find(what); at != std::string::npos; at = err.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("ALARM audit: ATNA repository tls://127.0.0.1:"), 1u) << err;
  EXPECT_EQ(count("RECOVERED audit: ATNA repository"), 1u) << err;
  EXPECT_EQ(Patients(listener.Messages()), Expected(1, 6));
}

TEST_F(AtnaSenderTest, TlsWithoutCertificatesIsRefused) {
  auto sender = AtnaSender::Start(trail_.get(), SenderOptions(AtnaDestination::Transport::kTls, 6514, {}));
  ASSERT_FALSE(sender.ok());
  EXPECT_EQ(sender.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseAuditSyslog, CommaSeparatedUdpAndTlsUrls) {
  auto parsed = ParseAuditSyslog(" tls://arr.example:6514, udp://10.0.0.1:514 ,tls://[::1]:6514");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0].transport, AtnaDestination::Transport::kTls);
  EXPECT_EQ((*parsed)[0].host, "arr.example");
  EXPECT_EQ((*parsed)[0].port, 6514);
  EXPECT_EQ((*parsed)[0].url, "tls://arr.example:6514");
  EXPECT_EQ((*parsed)[1].transport, AtnaDestination::Transport::kUdp);
  EXPECT_EQ((*parsed)[1].host, "10.0.0.1");
  EXPECT_EQ((*parsed)[2].host, "::1");
  EXPECT_TRUE(ParseAuditSyslog("").ok());
  EXPECT_TRUE(ParseAuditSyslog("")->empty());
  for (const char* bad :
       {"http://arr:514", "tls://arr", "tls://arr:0", "tls://arr:65536", "udp://:514", "tls://arr:x1", "tls://a b:1",
        "tls://arr:1,", "tls://[zz]:1", "tcp://arr:601", "tls://arr:6514,tls://arr:6514", "tls://arr:+1"}) {
    auto refused = ParseAuditSyslog(bad);
    EXPECT_FALSE(refused.ok()) << bad;
    if (!refused.ok()) {
      EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
      EXPECT_NE(std::string(refused.status().message()).find("XDS_AUDIT_SYSLOG"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace xds::audit
