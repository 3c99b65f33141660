// ATNA (ITI-20) throughput of AtnaSender against an in-process syslog sink on 127.0.0.1:
//
//   drain - a trail filled with --events realistic events while no sender ran (the
//           repository was down); then an AtnaSender starts and the time until the sink
//           has every event gives the spool drain rate (once per --batches value);
//   live  - with the sender running, --threads threads append one event per Append (each
//           waits for its commit, as a transaction does) for --seconds; appended/s,
//           delivered/s, the backlog at the end and the time to catch up.
//
// Over mutual TLS (RFC 5425, a temporary region CA from tools/pki) and UDP (RFC 5426). The
// sink reads and counts octet-counted frames (TLS) or datagrams (UDP) as fast as it can, on
// its own thread. CPU is per thread (the sender's, the sink's, the trail's writer's) from
// the kernel's per-thread clocks, and for the whole process (getrusage).
//
// Every measurement prints one "RESULT ..." line with its parameters and the 1-minute load
// average read just before it; with --max_load the bench first waits (up to --load_wait
// seconds) for the load to drop below it.
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "registry/shared/audit/atna_message.h"
#include "registry/shared/audit/atna_sender.h"
#include "registry/shared/audit/sqlite_trail.h"
#include "tools/pki/pki.h"

ABSL_FLAG(int64_t, events, 200000, "events in the spool for the drain");
ABSL_FLAG(std::string, transports, "tls,udp", "comma-separated: tls, udp");
ABSL_FLAG(std::string, modes, "drain,live", "comma-separated: drain, live");
ABSL_FLAG(std::string, batches, "100", "comma-separated AtnaSender batch sizes for the drain");
ABSL_FLAG(int, live_batch, 100, "AtnaSender batch size for the live measurement");
ABSL_FLAG(int, repeat, 3, "runs of each measurement");
ABSL_FLAG(int, threads, 4, "live: appending threads");
ABSL_FLAG(double, seconds, 10, "live: seconds of appending");
ABSL_FLAG(std::string, dir, "/tmp", "where the temporary CA and trails go");
ABSL_FLAG(double, max_load, 1.5, "before each measurement wait for the 1-min load to drop below this (0: don't)");
ABSL_FLAG(int, load_wait, 180, "the longest wait for --max_load, seconds (then measure anyway)");
ABSL_FLAG(bool, keep, false, "keep the temporary directory");

namespace xds::audit {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

pid_t Tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// CPU seconds of one thread of this process (Linux's per-thread CPU clock id for a tid).
double ThreadCpu(pid_t tid) {
  const clockid_t clock = static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6);
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double ProcessCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

std::set<pid_t> Tasks() {
  std::set<pid_t> tids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    int tid = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &tid)) tids.insert(tid);
  }
  return tids;
}

// The first thread in `after` not in `before` (0 if none): the thread a constructor
// started, when it may have started helpers of its own since (asio's resolver thread).
pid_t NewTask(const std::set<pid_t>& before, const std::set<pid_t>& after) {
  for (pid_t tid : after) {
    if (before.count(tid) == 0) return tid;
  }
  return 0;
}

double Load1() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

// Waits for a quiet machine as asked; returns the load the measurement starts at.
double WaitForLoad() {
  const double max_load = absl::GetFlag(FLAGS_max_load);
  const double until = Now() + absl::GetFlag(FLAGS_load_wait);
  double load = Load1();
  while (max_load > 0 && load >= max_load && Now() < until) {
    std::fprintf(stderr, "load %.2f >= %.2f, waiting\n", load, max_load);
    std::this_thread::sleep_for(std::chrono::seconds(10));
    load = Load1();
  }
  return load;
}

// ---------------------------------------------------------------------------------------
// Sinks.

class Sink {
 public:
  virtual ~Sink() = default;
  virtual uint16_t port() const = 0;
  int64_t frames() const { return frames_.load(std::memory_order_relaxed); }
  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  double first_frame_at() const { return first_frame_at_.load(); }  // Now() of the first frame, 0 before
  double cpu() const { return tid_.load() == 0 ? 0 : ThreadCpu(tid_.load()); }

 protected:
  void Count(int64_t frames, int64_t bytes) {
    if (frames > 0 && first_frame_at_.load() == 0) first_frame_at_ = Now();
    frames_.fetch_add(frames, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  std::atomic<bool> stopping_{false};
  std::atomic<pid_t> tid_{0};

 private:
  std::atomic<int64_t> frames_{0};
  std::atomic<int64_t> bytes_{0};
  std::atomic<double> first_frame_at_{0};
};

// RFC 5425: mutual TLS, "LEN SP MSG" frames, counted as they stream by (nothing copied).
// One connection at a time, as the sender keeps one.
class TlsSink : public Sink {
 public:
  explicit TlsSink(const xds::tls::Files& files) : acceptor_(io_) {
    auto context = xds::tls::ServerContext::Load(files);
    if (!context.ok()) {
      std::fprintf(stderr, "sink context: %s\n", std::string(context.status().message()).c_str());
      std::exit(1);
    }
    context_ = (*context)->current();
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsSink() override {
    stopping_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    }
    thread_.join();
  }
  uint16_t port() const override { return acceptor_.local_endpoint().port(); }

 private:
  bool Readable(int fd) {
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void Serve() {
    tid_ = Tid();
    std::vector<char> chunk(256 * 1024);
    while (!stopping_) {
      if (!Readable(acceptor_.native_handle())) break;
      ssl::stream<tcp::socket> stream(io_, *context_);
      boost::system::error_code error;
      acceptor_.accept(stream.lowest_layer(), error);
      if (error) continue;
      stream.handshake(ssl::stream_base::server, error);
      if (error) {
        std::fprintf(stderr, "sink handshake: %s\n", error.message().c_str());
        continue;
      }
      // Frame parser state: digits of the length, then the message's bytes to skip.
      int64_t length = 0;
      bool in_length = true;
      int64_t remaining = 0;
      // Blocking reads (asio keeps bytes of the next TLS record in its own buffer, where
      // neither poll nor SSL_pending sees them); the destructor shuts the socket down.
      {
        std::lock_guard<std::mutex> lock(mu_);
        fd_ = stream.lowest_layer().native_handle();
      }
      while (!stopping_) {
        const size_t n = stream.read_some(asio::buffer(chunk), error);
        if (error) break;
        int64_t frames = 0;
        size_t i = 0;
        while (i < n) {
          if (in_length) {
            const char c = chunk[i++];
            if (c == ' ') {
              in_length = false;
              remaining = length;
              length = 0;
            } else if (c >= '0' && c <= '9') {
              length = length * 10 + (c - '0');
            } else {
              std::fprintf(stderr, "sink: bad frame byte %d\n", c);
              std::exit(1);
            }
          } else {
            const size_t take = std::min<size_t>(remaining, n - i);
            i += take;
            remaining -= static_cast<int64_t>(take);
          }
          if (!in_length && remaining == 0) {
            ++frames;
            in_length = true;
          }
        }
        Count(frames, static_cast<int64_t>(n));
      }
      std::lock_guard<std::mutex> lock(mu_);
      fd_ = -1;
    }
  }

  asio::io_context io_;
  std::shared_ptr<ssl::context> context_;
  tcp::acceptor acceptor_;
  std::mutex mu_;
  int fd_ = -1;  // the connection being read, guarded by mu_
  std::thread thread_;
};

// RFC 5426: one message per datagram, read in bursts (recvmmsg) into a 4 MiB socket buffer.
class UdpSink : public Sink {
 public:
  UdpSink() : socket_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    int size = 4 << 20;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    thread_ = std::thread([this] { Serve(); });
  }
  ~UdpSink() override {
    stopping_ = true;
    thread_.join();
  }
  uint16_t port() const override { return socket_.local_endpoint().port(); }

 private:
  void Serve() {
    tid_ = Tid();
    constexpr int kBurst = 64;
    constexpr size_t kSize = 65536;
    std::vector<char> buffers(kBurst * kSize);
    std::vector<iovec> iov(kBurst);
    std::vector<mmsghdr> msgs(kBurst);
    for (int i = 0; i < kBurst; ++i) {
      iov[i] = {buffers.data() + i * kSize, kSize};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int fd = socket_.native_handle();
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int n = ::recvmmsg(fd, msgs.data(), kBurst, MSG_DONTWAIT, nullptr);
      if (n <= 0) continue;
      int64_t bytes = 0;
      for (int i = 0; i < n; ++i) bytes += msgs[i].msg_len;
      Count(n, bytes);
    }
  }

  asio::io_context io_;
  udp::socket socket_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------
// Events: the shapes CallGate and describe.cc record, with realistic sizes.

AuditEvent MakeEvent(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto uid = [&] { return absl::StrCat("2.25.", rng(), rng() % 100000000); };
  auto uuid = [&] {
    char text[37];
    const uint64_t a = rng(), b = rng();
    std::snprintf(text, sizeof text, "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>(a & 0xffff), static_cast<unsigned>((a >> 16) & 0xfff),
                  static_cast<unsigned>(b & 0xfff), static_cast<unsigned long long>(b >> 16) & 0xffffffffffffULL);
    return std::string(text);
  };
  AuditEvent e;
  e.set_time_ms(absl::ToUnixMillis(absl::Now()));
  const int kind = pick(100);  // 40 % ITI-18, 30 % ITI-43, 15 % ITI-41, 15 % ITI-42
  const char* transaction = kind < 40 ? "ITI-18" : kind < 70 ? "ITI-43" : kind < 85 ? "ITI-41" : "ITI-42";
  const bool repository = kind >= 40 && kind < 85;
  e.set_transaction(transaction);
  e.set_action(kind < 40 ? "E" : kind < 70 ? "R" : "C");
  if (pick(50) == 0) {
    e.set_outcome(8);
    e.set_error_code("XDSUnknownPatientId");
  }
  const int org = pick(200);
  e.set_organization_id(absl::StrCat("2.16.840.1.113883.2.4.3.11.60.", 1000 + org));
  e.set_node_subject(absl::StrCat("CN=EPD Ziekenhuis ", org, ",O=EPD Ziekenhuis ", org,
                                  ",organizationIdentifier=2.16.840.1.113883.2.4.3.11.60.", 1000 + org,
                                  ",OU=consumer,OU=source"));
  const int user = pick(5000);
  e.set_user_id(absl::StrCat("urn:oid:2.16.528.1.1007.3.1.", 900000000 + user));
  e.set_user_name(absl::StrCat("user", user, "@ziekenhuis", org, ".example"));
  e.set_user_organization(absl::StrCat("EPD Ziekenhuis ", org));
  e.set_user_organization_id(e.organization_id());
  e.set_role("158965000^^^&2.16.840.1.113883.6.96&ISO");
  e.set_purpose_of_use(pick(100) == 0 ? "EMERGENCY" : "TREATMENT");
  e.set_emergency(e.purpose_of_use() == "EMERGENCY");
  e.set_assertion_id(absl::StrCat("_", uuid()));
  e.set_assertion_issuer("https://idp.region.example/saml");
  e.set_peer(absl::StrCat("10.20.", pick(256), ".", pick(256), ":", 32768 + pick(28000)));
  e.set_message_id(absl::StrCat("urn:uuid:", uuid()));
  const std::string patient = absl::StrCat(100000000 + pick(1000000), "^^^&2.16.840.1.113883.2.4.6.3&ISO");
  e.add_patient_ids(patient);
  const int documents = 1 + pick(3);
  for (int d = 0; d < documents; ++d) {
    e.add_document_unique_ids(uid());
    e.add_class_codes(absl::StrCat(pick(2) == 0 ? "11488-4" : "18842-5", "^^2.16.840.1.113883.6.1"));
    if (repository) e.add_repository_unique_ids("2.16.840.1.113883.2.4.3.11.60.77.1");
  }
  if (kind >= 70) e.set_submission_set_unique_id(uid());
  if (kind >= 40 && kind < 70) e.set_home_community_id("urn:oid:2.16.840.1.113883.2.4.3.11.60.99");
  if (kind < 40) {
    StoredQueryRequest* query = e.mutable_query();
    query->set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");  // FindDocuments
    query->set_return_type(LEAF_CLASS);
    QueryParameter* p = query->add_parameters();
    p->set_name("$XDSDocumentEntryPatientId");
    p->add_values(absl::StrCat("'", patient, "'"));
    p = query->add_parameters();
    p->set_name("$XDSDocumentEntryStatus");
    p->add_values("('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')");
    p = query->add_parameters();
    p->set_name("$XDSDocumentEntryClassCode");
    p->add_values("('11488-4^^2.16.840.1.113883.6.1','18842-5^^2.16.840.1.113883.6.1')");
  }
  e.set_service(repository ? "xds-repository" : "xds-registry");
  e.set_endpoint(repository ? "https://repository.region.example:8443/xds/repository"
                            : "https://registry.region.example:8443/xds/registry");
  return e;
}

// ---------------------------------------------------------------------------------------

struct Pki {
  xds::tls::Files server;
  xds::tls::Files client;
};

Pki MakePki(const std::string& dir) {
  const std::string ca = dir + "/ca";
  auto must = [](const absl::Status& status, const char* what) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", what, std::string(status.message()).c_str());
      std::exit(1);
    }
  };
  must(pki::InitCa(ca, "ATNA bench"), "InitCa");
  pki::IssueRequest server;
  server.name = "Audit record repository";
  server.organization_id = "2.999.2";
  server.ip_addresses = {"127.0.0.1"};
  server.server = true;
  auto issued_server = pki::Issue(ca, server);
  must(issued_server.status(), "Issue server");
  pki::IssueRequest client;
  client.name = "Registry";
  client.organization_id = "2.999.3";
  client.roles = {xds::tls::kRoleSource};
  auto issued_client = pki::Issue(ca, client);
  must(issued_client.status(), "Issue client");
  Pki pki;
  pki.server = {ca + "/" + pki::kCaCertFile, issued_server->cert_path, issued_server->key_path, ""};
  pki.client = {ca + "/" + pki::kCaCertFile, issued_client->cert_path, issued_client->key_path, ""};
  return pki;
}

std::unique_ptr<SqliteTrail> OpenTrail(const std::string& path, pid_t* writer_tid) {
  const std::set<pid_t> before = Tasks();
  auto trail = SqliteTrail::Open(path);
  if (!trail.ok()) {
    std::fprintf(stderr, "trail: %s\n", std::string(trail.status().message()).c_str());
    std::exit(1);
  }
  *writer_tid = NewTask(before, Tasks());
  return *std::move(trail);
}

struct Started {
  std::unique_ptr<AtnaSender> sender;
  pid_t tid = 0;
};

Started StartSender(Trail* trail, bool tls, uint16_t port, const Pki& pki, size_t batch) {
  AtnaSender::Options options;
  options.destination.transport = tls ? AtnaDestination::Transport::kTls : AtnaDestination::Transport::kUdp;
  options.destination.host = "127.0.0.1";
  options.destination.port = port;
  options.destination.url = absl::StrCat(tls ? "tls://" : "udp://", "127.0.0.1:", port);
  options.source.source_id = "xds-registry";
  options.source.enterprise_site_id = "2.16.840.1.113883.2.4.3.11.60";
  options.source.endpoint = "https://registry.region.example:8443/xds/registry";
  options.source.host = "registry.region.example";
  options.source.process_id = "4242";
  options.tls = pki.client;
  options.batch = batch;
  options.backlog_alarm = INT64_MAX;  // no alarm lines in the output
  const std::set<pid_t> before = Tasks();
  auto sender = AtnaSender::Start(trail, options);
  if (!sender.ok()) {
    std::fprintf(stderr, "sender: %s\n", std::string(sender.status().message()).c_str());
    std::exit(1);
  }
  Started started;
  started.tid = NewTask(before, Tasks());
  started.sender = *std::move(sender);
  return started;
}

std::unique_ptr<Sink> MakeSink(bool tls, const Pki& pki) {
  if (tls) return std::make_unique<TlsSink>(pki.server);
  return std::make_unique<UdpSink>();
}

// Fills `trail` with `n` events in appends of 1000; returns events/s.
double Fill(Trail* trail, int64_t n) {
  std::mt19937_64 rng(42);
  const double start = Now();
  for (int64_t done = 0; done < n;) {
    std::vector<AuditEvent> events;
    for (int i = 0; i < 1000 && done < n; ++i, ++done) events.push_back(MakeEvent(rng));
    auto appended = trail->Append(events);
    if (!appended.ok()) {
      std::fprintf(stderr, "fill: %s\n", std::string(appended.status().message()).c_str());
      std::exit(1);
    }
  }
  return n / (Now() - start);
}

std::string Params(const std::string& transport, const std::string& mode) {
  return absl::StrCat("transport=", transport, " mode=", mode);
}

// One drain: a new sink (a new port, so a new URL and a fresh cursor at 0) reads the whole
// spool.
void Drain(Trail* trail, pid_t writer_tid, bool tls, const Pki& pki, size_t batch, int run) {
  const int64_t n = trail->LastSeq();
  const double load = WaitForLoad();
  auto sink = MakeSink(tls, pki);
  const double cpu0 = ProcessCpu(), sink0 = sink->cpu(), writer0 = ThreadCpu(writer_tid);
  const double start = Now();
  Started sender = StartSender(trail, tls, sink->port(), pki, batch);
  double sent_at = 0;  // the sender's cursor reached the end
  int64_t last_frames = -1;
  double stable_since = 0;
  const double deadline = start + 900;
  while (Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const int64_t frames = sink->frames();
    if (sent_at == 0 && sender.sender->stats().cursor >= n) sent_at = Now();
    if (frames >= n) break;
    // UDP may lose datagrams: once all is sent, wait for the count to settle.
    if (frames != last_frames) {
      last_frames = frames;
      stable_since = Now();
    } else if (!tls && sent_at != 0 && Now() - stable_since > 0.5) {
      break;
    }
  }
  const double end = sink->frames() >= n ? Now() : stable_since;
  const double sender_cpu = ThreadCpu(sender.tid);
  const double seconds = end - start;
  const double cpu = ProcessCpu() - cpu0, sink_cpu = sink->cpu() - sink0, writer_cpu = ThreadCpu(writer_tid) - writer0;
  const int64_t frames = sink->frames();
  const double first = sink->first_frame_at() == 0 ? 0 : sink->first_frame_at() - start;
  const std::string error = sender.sender->stats().last_error;
  sender.sender.reset();
  std::printf(
      "RESULT %s events=%lld batch=%zu run=%d load1=%.2f | received=%lld lost=%lld seconds=%.3f events_per_s=%.0f "
      "first_frame_s=%.3f sender_cpu_s=%.3f sender_us_per_event=%.1f sink_cpu_s=%.3f writer_cpu_s=%.3f "
      "process_cpu_s=%.3f bytes_per_event=%.0f sender_tid=%d%s%s\n",
      Params(tls ? "tls" : "udp", "drain").c_str(), static_cast<long long>(n), batch, run, load,
      static_cast<long long>(frames), static_cast<long long>(n - frames), seconds, frames / seconds, first, sender_cpu,
      sender_cpu / n * 1e6, sink_cpu, writer_cpu, cpu, frames == 0 ? 0.0 : static_cast<double>(sink->bytes()) / frames,
      static_cast<int>(sender.tid), error.empty() ? "" : " last_error=", error.c_str());
  std::fflush(stdout);
}

// One live run on a fresh trail.
void Live(const std::string& dir, bool tls, const Pki& pki, int run) {
  const int threads = absl::GetFlag(FLAGS_threads);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const size_t batch = absl::GetFlag(FLAGS_live_batch);
  const double load = WaitForLoad();
  pid_t writer_tid = 0;
  const std::string path = absl::StrCat(dir, "/live-", tls ? "tls" : "udp", "-", run, ".db");
  auto trail = OpenTrail(path, &writer_tid);
  auto sink = MakeSink(tls, pki);
  Started sender = StartSender(trail.get(), tls, sink->port(), pki, batch);
  const double cpu0 = ProcessCpu(), sink0 = sink->cpu(), writer0 = ThreadCpu(writer_tid),
               sender0 = ThreadCpu(sender.tid);
  std::atomic<int64_t> appended{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> appenders;
  const double start = Now();
  for (int t = 0; t < threads; ++t) {
    appenders.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t + 100 * run);
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<AuditEvent> one{MakeEvent(rng)};
        if (!trail->Append(one).ok()) std::exit(1);
        appended.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& t : appenders) t.join();
  const double elapsed = Now() - start;
  const int64_t total = appended.load();
  const int64_t delivered = sink->frames();
  const AtnaSender::Stats stats = sender.sender->stats();
  const int64_t backlog = trail->LastSeq() - stats.cursor;
  const double cpu = ProcessCpu() - cpu0, sink_cpu = sink->cpu() - sink0, writer_cpu = ThreadCpu(writer_tid) - writer0,
               sender_cpu = ThreadCpu(sender.tid) - sender0;
  // Then the time to deliver what is left.
  double caught_up = 0;
  const double deadline = Now() + 120;
  while (Now() < deadline) {
    if (sink->frames() >= total) {
      caught_up = Now() - start - elapsed;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int64_t received = sink->frames();
  sender.sender.reset();
  std::printf(
      "RESULT %s threads=%d seconds=%.0f batch=%zu run=%d load1=%.2f | appended=%lld appended_per_s=%.0f "
      "delivered_in_window=%lld delivered_per_s=%.0f backlog_at_end=%lld catch_up_s=%.3f received=%lld lost=%lld "
      "sender_cpu_s=%.3f sink_cpu_s=%.3f writer_cpu_s=%.3f process_cpu_s=%.3f process_cpu_us_per_event=%.0f\n",
      Params(tls ? "tls" : "udp", "live").c_str(), threads, seconds, batch, run, load, static_cast<long long>(total),
      total / elapsed, static_cast<long long>(delivered), delivered / elapsed, static_cast<long long>(backlog),
      caught_up, static_cast<long long>(received), static_cast<long long>(total - received), sender_cpu, sink_cpu,
      writer_cpu, cpu, cpu / std::max<int64_t>(total, 1) * 1e6);
  std::fflush(stdout);
  trail.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

int Main() {
  std::string pattern = absl::GetFlag(FLAGS_dir) + "/atna_bench_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = pattern;
  const Pki pki = MakePki(dir);
  const std::vector<std::string> transports = absl::StrSplit(absl::GetFlag(FLAGS_transports), ',');
  const std::vector<std::string> modes = absl::StrSplit(absl::GetFlag(FLAGS_modes), ',');
  std::vector<size_t> batches;
  for (absl::string_view b : absl::StrSplit(absl::GetFlag(FLAGS_batches), ',')) {
    size_t value = 0;
    if (!absl::SimpleAtoi(b, &value) || value == 0) {
      std::fprintf(stderr, "--batches: '%s'\n", std::string(b).c_str());
      return 2;
    }
    batches.push_back(value);
  }
  const int repeat = absl::GetFlag(FLAGS_repeat);
  std::printf(
      "# bazel run -c opt //tools/bench:atna_bench -- --events=%lld --transports=%s --modes=%s --batches=%s "
      "--live_batch=%d --threads=%d --seconds=%g --repeat=%d --max_load=%g --dir=%s\n",
      static_cast<long long>(absl::GetFlag(FLAGS_events)), absl::GetFlag(FLAGS_transports).c_str(),
      absl::GetFlag(FLAGS_modes).c_str(), absl::GetFlag(FLAGS_batches).c_str(), absl::GetFlag(FLAGS_live_batch),
      absl::GetFlag(FLAGS_threads), absl::GetFlag(FLAGS_seconds), repeat, absl::GetFlag(FLAGS_max_load),
      absl::GetFlag(FLAGS_dir).c_str());
  {
    std::mt19937_64 rng(7);
    AuditSource source;
    source.host = "registry.region.example";
    int64_t xml = 0;
    for (int i = 0; i < 1000; ++i) xml += static_cast<int64_t>(ToAuditMessage(MakeEvent(rng), source).size());
    std::printf("# mean AuditMessage XML: %lld bytes\n", static_cast<long long>(xml / 1000));
  }
  for (const std::string& mode : modes) {
    if (mode == "drain") {
      pid_t writer_tid = 0;
      auto trail = OpenTrail(dir + "/spool.db", &writer_tid);
      const int64_t n = absl::GetFlag(FLAGS_events);
      const double fill_load = Load1();
      const double rate = Fill(trail.get(), n);
      std::printf(
          "# spool filled: %lld events at %.0f events/s (appends of 1000, load1=%.2f), %.1f MB\n",
          static_cast<long long>(n), rate, fill_load,
          std::filesystem::file_size(dir + "/spool.db") / 1e6 +
              (std::filesystem::exists(dir + "/spool.db-wal") ? std::filesystem::file_size(dir + "/spool.db-wal") / 1e6
                                                              : 0.0));
      {
        // What the sender waits for after each batch: one SetCursor, a group commit of its own
        // (WAL append + fdatasync with synchronous=FULL).
        std::vector<double> ms;
        for (int i = 1; i <= 200; ++i) {
          const double t0 = Now();
          if (!trail->SetCursor("bench:cursor", i).ok()) return 1;
          ms.push_back((Now() - t0) * 1e3);
        }
        std::sort(ms.begin(), ms.end());
        std::printf(
            "# SetCursor (one commit, fdatasync): p50 %.2f ms, p90 %.2f ms, max %.2f ms (200 calls, load1=%.2f)\n",
            ms[100], ms[180], ms.back(), Load1());
      }
      std::fflush(stdout);
      for (const std::string& transport : transports) {
        for (size_t batch : batches) {
          for (int run = 1; run <= repeat; ++run) Drain(trail.get(), writer_tid, transport == "tls", pki, batch, run);
        }
      }
    } else if (mode == "live") {
      for (const std::string& transport : transports) {
        for (int run = 1; run <= repeat; ++run) Live(dir, transport == "tls", pki, run);
      }
    } else {
      std::fprintf(stderr, "--modes: '%s'\n", mode.c_str());
      return 2;
    }
  }
  if (!absl::GetFlag(FLAGS_keep)) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace xds::audit

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return xds::audit::Main();
}
