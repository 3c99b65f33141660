// A SOAP load generator over the project's own blocking client (http_client.h), for plain
// HTTP and mutual TLS alike, so that the two are measured by the same code (wrk cannot
// present a client certificate). Request shapes mirror the wrk scripts of tools/bench:
//   --template FILE  a SOAP request; @PID@ becomes a random BENCH-<n> patient (n <
//                    --patients, as query.lua) and every @UID@ a fresh OID (register.lua).
//   --mtom PREFIX    ITI-41 as provide.lua: PREFIX.head (with @UID@), a 32-byte prefix
//                    unique per request, PREFIX.tail; content type from PREFIX.ctype.
// One client per thread, each on one kept-alive connection, or with --reconnect a new
// connection (with TLS a full handshake: the client resumes no session) for every request.
// A response is an error unless HTTP 200 with "ResponseStatusType:Success" in its body.
// Prints one line, as the wrk scripts do:
//   RESULT requests=N seconds=S rps=R p50_ms=X p99_ms=Y errors=E
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/net/http_client.h"
#include "registry/shared/net/tls.h"

ABSL_FLAG(std::string, url, "", "The SOAP endpoint, http://... or https://...");
ABSL_FLAG(int, clients, 1, "Parallel clients (one thread and one connection each)");
ABSL_FLAG(double, seconds, 10, "Duration of the run");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA that signed the server's certificate (empty: plain HTTP)");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate presented to the server");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(bool, reconnect, false, "A new connection (a full TLS handshake) for every request");
ABSL_FLAG(std::string, template, "", "SOAP request with @PID@ and @UID@ placeholders");
ABSL_FLAG(std::string, mtom, "", "ITI-41 request in pieces: PREFIX.head, PREFIX.tail, PREFIX.ctype");
ABSL_FLAG(int, patients, 1, "@PID@ is BENCH-<n> with n uniformly in [0, patients)");

namespace {

using Clock = std::chrono::steady_clock;

std::string Slurp(const std::string& path) {
  absl::StatusOr<std::string> text = xds::tls::ReadFile(path);
  if (!text.ok()) {
    std::cerr << "soap_load: " << text.status().message() << "\n";
    std::exit(2);
  }
  return *std::move(text);
}

// A request text split at its placeholders, filled in afresh for every request.
class Template {
 public:
  explicit Template(const std::string& text) {
    size_t at = 0;
    while (true) {
      size_t pid = text.find("@PID@", at), uid = text.find("@UID@", at);
      size_t next = std::min(pid, uid);
      literals_.push_back(text.substr(at, next - at));
      if (next == std::string::npos) break;
      holes_.push_back(next == pid ? Hole::kPatient : Hole::kUniqueId);
      at = next + 5;
    }
  }

  enum class Hole { kPatient, kUniqueId };

  // Appends the text with `fill(hole, n)` (n counts the holes of one kind) in each hole.
  template <class Fill>
  void Render(std::string* out, Fill&& fill) const {
    int uids = 0;
    for (size_t i = 0; i < literals_.size(); ++i) {
      out->append(literals_[i]);
      if (i < holes_.size()) out->append(fill(holes_[i], holes_[i] == Hole::kUniqueId ? ++uids : 0));
    }
  }

 private:
  std::vector<std::string> literals_;
  std::vector<Hole> holes_;
};

struct Shape {
  Template head{""};
  std::string tail;  // --mtom only: after the 32-byte unique prefix
  bool mtom = false;
  std::string content_type = "application/soap+xml; charset=UTF-8";
};

struct ThreadResult {
  std::vector<uint32_t> latencies_us;
  uint64_t errors = 0;
};

std::atomic<bool> first_failure_said{false};

void SayFirstFailure(const std::string& what) {
  if (!first_failure_said.exchange(true)) std::cerr << "first failure: " << what.substr(0, 800) << "\n";
}

void RunClient(int index, uint32_t run_id, const xds::http::Url& url,
               const std::shared_ptr<boost::asio::ssl::context>& tls, const Shape& shape, Clock::time_point deadline,
               ThreadResult* result) {
  const int patients = std::max(1, absl::GetFlag(FLAGS_patients));
  const bool reconnect = absl::GetFlag(FLAGS_reconnect);
  std::mt19937_64 random(uint64_t{run_id} * 1000003u + static_cast<uint64_t>(index));
  std::uniform_int_distribution<int> patient(0, patients - 1);
  auto client = std::make_unique<xds::http::Client>(url, tls);
  std::string body;
  for (uint64_t counter = 1; Clock::now() < deadline; ++counter) {
    body.clear();
    shape.head.Render(&body, [&](Template::Hole hole, int n) {
      if (hole == Template::Hole::kPatient) {
        return absl::StrCat("BENCH-", patient(random), "^^^&amp;1.3.6.1.4.1.21367.2005.3.7&amp;ISO");
      }
      return absl::StrCat("2.25.", run_id, ".", index, ".", counter, ".", n);
    });
    if (shape.mtom) {
      char prefix[40];
      std::snprintf(prefix, sizeof(prefix), "%010u%06d%016llu", run_id, index % 1000000,
                    static_cast<unsigned long long>(counter % 10000000000000000ull));
      body.append(prefix, 32);
      body.append(shape.tail);
    }
    Clock::time_point start = Clock::now();
    if (reconnect) client = std::make_unique<xds::http::Client>(url, tls);
    absl::StatusOr<xds::http::Response> response = client->Post(shape.content_type, body);
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    result->latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>(elapsed, UINT32_MAX)));
    if (!response.ok()) {
      ++result->errors;
      SayFirstFailure(std::string(response.status().message()));
    } else if (response->status != 200 || response->body.find("ResponseStatusType:Success") == std::string::npos) {
      ++result->errors;
      SayFirstFailure(absl::StrCat("HTTP ", response->status, ": ", response->body));
    }
  }
}

double PercentileMs(std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[i] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "soap_load --url URL --clients N --seconds S (--template FILE | --mtom PREFIX) "
      "[--tls_ca --tls_cert --tls_key] [--reconnect] [--patients N]");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<xds::http::Url> url = xds::http::ParseUrl(absl::GetFlag(FLAGS_url));
  if (!url.ok()) {
    std::cerr << "soap_load: --url: " << url.status().message() << "\n";
    return 2;
  }
  xds::tls::Files files{absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), ""};
  if (files.enabled() != url->tls) {
    std::cerr << "soap_load: an https URL needs --tls_ca, --tls_cert and --tls_key; an http URL none\n";
    return 2;
  }
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (files.enabled()) {
    auto context = xds::tls::MakeClientContext(files);
    if (!context.ok()) {
      std::cerr << "soap_load: " << context.status().message() << "\n";
      return 2;
    }
    tls = *std::move(context);
  }
  Shape shape;
  if (!absl::GetFlag(FLAGS_mtom).empty()) {
    const std::string prefix = absl::GetFlag(FLAGS_mtom);
    shape.head = Template(Slurp(prefix + ".head"));
    shape.tail = Slurp(prefix + ".tail");
    shape.content_type = Slurp(prefix + ".ctype");
    shape.mtom = true;
  } else if (!absl::GetFlag(FLAGS_template).empty()) {
    shape.head = Template(Slurp(absl::GetFlag(FLAGS_template)));
  } else {
    std::cerr << "soap_load: give --template or --mtom\n";
    return 2;
  }

  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  const uint32_t run_id = std::random_device{}() % 4000000000u;  // fresh uniqueIds on every run
  std::vector<ThreadResult> results(clients);
  std::vector<std::thread> threads;
  Clock::time_point start = Clock::now();
  Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back(RunClient, i, run_id, std::cref(*url), std::cref(tls), std::cref(shape), deadline,
                         &results[i]);
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<uint32_t> all;
  uint64_t errors = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    errors += r.errors;
  }
  std::sort(all.begin(), all.end());
  std::printf("RESULT requests=%zu seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%llu\n", all.size(), seconds,
              static_cast<double>(all.size()) / seconds, PercentileMs(all, 50), PercentileMs(all, 99),
              static_cast<unsigned long long>(errors));
  return 0;
}
