// Fills an audit trail (issue 15) for the access-log benchmark: EVENTS events over PATIENTS
// patients, appended through the trail's own path (SqliteTrail::Append: seq, hash chain,
// per-patient index) in batches of BATCH events per call, i.e. per transaction. The file may
// be a copy of a registry store (DATA_DIR/registry.sqlite): the audit tables are created
// when missing (SqliteTrail::CreateSchema), and the real registry then serves the events.
//
// The events look like a region's year: ITI-18 queries (some naming the 1-3 documents they
// returned), ITI-43 retrievals and ITI-41 provisions forwarded by two repositories (origin
// and origin_seq set, as the registry keeps them), ITI-42 registrations; 40 organisations,
// 2,000 users, purposes of use (a few EMERGENCY), one patient each. The chosen patient
// (BENCH-1, as tools/bench names patients) gets exactly CHOSEN events spread evenly over
// the whole run; the others' events go to uniformly drawn patients BENCH-<n>, n != 1.
// Event times cover the year before now in seq order.
//
// usage: generate_audit DB_PATH EVENTS PATIENTS [BATCH] [CHOSEN]   (20000, 1000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/audit.pb.h"
#include "registry/shared/audit/sqlite_trail.h"
#include "registry/shared/sqlite/group_commit_writer.h"
#include "registry/shared/sqlite/reader_pool.h"
#include "registry/shared/sqlite/sqlite_connection.h"

namespace {

using xds::AuditEvent;
using xds::LEAF_CLASS;
using xds::OBJECT_REF;
using xds::QueryParameter;
using xds::StoredQueryRequest;

constexpr char kAuthority[] = "1.3.6.1.4.1.21367.2005.3.7";
const char* const kClassCodes[] = {"11502-2", "34133-9", "18842-5", "57133-1", "11488-4"};
const char* const kRoles[] = {"223366009", "158965000", "309343006", "224535009"};
const char* const kSurnames[] = {"Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"};
const char* const kRepositories[] = {"1.3.6.1.4.1.21367.2005.3.7.200", "1.3.6.1.4.1.21367.2005.3.7.201"};
constexpr char kFindDocuments[] = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";

std::string PatientId(long n) { return absl::StrCat("BENCH-", n, "^^^&", kAuthority, "&ISO"); }

struct Generator {
  long events;
  long patients;
  long chosen_events;
  int64_t start_ms;
  int64_t span_ms;
  std::mt19937_64 rng{20261207};
  int64_t origin_seq[2] = {0, 0};

  // Whether event i (0-based) is one of the chosen patient's: floor(i * chosen / events)
  // steps at exactly `chosen` evenly spaced indexes.
  bool Chosen(long i) const {
    return chosen_events > 0 && (i + 1) * chosen_events / events > i * chosen_events / events;
  }

  void AddDocuments(AuditEvent& e, bool repository) {
    int n = 1 + static_cast<int>(rng() % 3);
    for (int d = 0; d < n; ++d) {
      e.add_document_unique_ids(absl::StrCat("2.25.", rng() >> 1));
      e.add_class_codes(absl::StrCat(kClassCodes[rng() % 5], "^^2.16.840.1.113883.6.1"));
      if (repository) e.add_repository_unique_ids(kRepositories[rng() % 2]);
    }
  }

  AuditEvent Make(long i) {
    AuditEvent e;
    e.set_time_ms(start_ms + static_cast<int64_t>(static_cast<double>(span_ms) * i / events));
    long patient = 1;
    if (!Chosen(i)) {
      patient = static_cast<long>(rng() % static_cast<uint64_t>(patients - 1));
      if (patient >= 1) ++patient;  // never the chosen one
    }
    const std::string pid = PatientId(patient);
    int org = static_cast<int>(rng() % 40);
    int user = static_cast<int>(rng() % 2000);
    e.set_organization_id(absl::StrCat("urn:oid:2.16.528.1.1007.3.3.", 1000 + org));
    e.set_user_id(absl::StrCat("UZI-", 900000000 + user * 37));
    e.set_user_name(absl::StrCat("dr. ", kSurnames[user % 8], " (", user, ")"));
    e.set_user_organization(absl::StrCat("Zorginstelling ", org));
    e.set_user_organization_id(e.organization_id());
    e.set_role(kRoles[user % 4]);
    int purpose = static_cast<int>(rng() % 1000);
    e.set_purpose_of_use(purpose < 5 ? "EMERGENCY" : purpose < 30 ? "OPERATIONS" : "TREATMENT");
    e.set_emergency(purpose < 5);
    e.set_assertion_id(absl::StrCat("_", rng()));
    e.set_assertion_issuer("https://idp.example.org/saml");
    e.set_peer(absl::StrCat("10.", org, ".", user % 250, ".", 1 + rng() % 250, ":", 40000 + rng() % 20000));
    e.set_message_id(absl::StrCat("urn:uuid:", rng(), "-", rng()));
    e.add_patient_ids(pid);
    e.set_outcome(rng() % 100 == 0 ? 8 : 0);
    if (e.outcome() != 0) e.set_error_code("XDSUnknownPatientId");
    int kind = static_cast<int>(rng() % 100);
    if (kind < 55) {  // ITI-18 FindDocuments; LeafClass answers name their documents
      e.set_transaction("ITI-18");
      e.set_action("E");
      e.set_service("xds-registry");
      e.set_endpoint("127.0.0.1:8080");
      StoredQueryRequest* q = e.mutable_query();
      q->set_query_id(kFindDocuments);
      q->set_return_type(rng() % 2 ? LEAF_CLASS : OBJECT_REF);
      QueryParameter* p = q->add_parameters();
      p->set_name("$XDSDocumentEntryPatientId");
      p->add_values(absl::StrCat("'", pid, "'"));
      p = q->add_parameters();
      p->set_name("$XDSDocumentEntryStatus");
      p->add_values("('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')");
      if (q->return_type() == LEAF_CLASS && e.outcome() == 0) AddDocuments(e, false);
    } else if (kind < 80) {  // ITI-43, forwarded by a repository
      int r = static_cast<int>(rng() % 2);
      e.set_transaction("ITI-43");
      e.set_action("R");
      e.set_service("xds-repository");
      e.set_endpoint(absl::StrCat("127.0.0.1:", 8090 + r));
      e.set_origin(absl::StrCat("CN=repository-", r, ",O=Regio XDS"));
      e.set_origin_seq(++origin_seq[r]);
      AddDocuments(e, true);
    } else if (kind < 92) {  // ITI-42
      e.set_transaction("ITI-42");
      e.set_action("C");
      e.set_service("xds-registry");
      e.set_endpoint("127.0.0.1:8080");
      e.set_submission_set_unique_id(absl::StrCat("2.25.", rng() >> 1));
      AddDocuments(e, true);
    } else {  // ITI-41, forwarded by a repository
      int r = static_cast<int>(rng() % 2);
      e.set_transaction("ITI-41");
      e.set_action("C");
      e.set_service("xds-repository");
      e.set_endpoint(absl::StrCat("127.0.0.1:", 8090 + r));
      e.set_origin(absl::StrCat("CN=repository-", r, ",O=Regio XDS"));
      e.set_origin_seq(++origin_seq[r]);
      e.set_submission_set_unique_id(absl::StrCat("2.25.", rng() >> 1));
      AddDocuments(e, true);
    }
    return e;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: generate_audit DB_PATH EVENTS PATIENTS [BATCH] [CHOSEN]\n");
    return 2;
  }
  const std::string path = argv[1];
  Generator gen;
  gen.events = std::atol(argv[2]);
  gen.patients = std::atol(argv[3]);
  const long batch = argc > 4 ? std::atol(argv[4]) : 20000;
  gen.chosen_events = argc > 5 ? std::atol(argv[5]) : 1000;
  if (gen.events < gen.chosen_events || gen.patients < 2 || batch < 1) {
    std::fprintf(stderr, "generate_audit: need EVENTS >= CHOSEN, PATIENTS >= 2, BATCH >= 1\n");
    return 2;
  }
  gen.span_ms = int64_t{365} * 24 * 3600 * 1000;
  gen.start_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() -
      gen.span_ms;

  // SqliteTrail::Open's setup, with a page cache that holds the per-patient index (which
  // takes its inserts at random places) so that generation does not re-read it from the
  // OS for every batch.
  auto conn = xds::sqlite::Connection::Open(path, /*read_only=*/false);
  if (!conn.ok()) {
    std::fprintf(stderr, "generate_audit: %s\n", std::string(conn.status().message()).c_str());
    return 1;
  }
  absl::Status s = (*conn)->Exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; "
      "PRAGMA cache_size = -1048576");
  if (s.ok()) s = xds::audit::SqliteTrail::CreateSchema(**conn);
  if (!s.ok()) {
    std::fprintf(stderr, "generate_audit: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  xds::sqlite::GroupCommitWriter::Options options;
  options.name = "audit trail";
  xds::sqlite::GroupCommitWriter writer(*std::move(conn), options);
  auto trail = xds::audit::SqliteTrail::Attach(&writer, path);
  if (!trail.ok()) {
    std::fprintf(stderr, "generate_audit: %s\n", std::string(trail.status().message()).c_str());
    return 1;
  }
  const int64_t first_seq = (*trail)->LastSeq() + 1;

  // The next batch is built while the trail appends the current one.
  auto build = [&gen, batch](long from) {
    std::vector<xds::AuditEvent> events;
    long to = std::min(gen.events, from + batch);
    events.reserve(static_cast<size_t>(to - from));
    for (long i = from; i < to; ++i) events.push_back(gen.Make(i));
    return events;
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<xds::AuditEvent> current = build(0);
  long appended = 0;
  while (!current.empty()) {
    long next_from = appended + static_cast<long>(current.size());
    std::future<std::vector<xds::AuditEvent>> next = std::async(std::launch::async, build, next_from);
    absl::StatusOr<xds::RecordAuditResponse> r = (*trail)->Append(current);
    if (!r.ok()) {
      std::fprintf(stderr, "generate_audit: append: %s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    if (r->accepted() != static_cast<int64_t>(current.size())) {
      std::fprintf(stderr, "generate_audit: %lld of %zu accepted\n", static_cast<long long>(r->accepted()),
                   current.size());
      return 1;
    }
    appended = next_from;
    current = next.get();
    if (appended % 1000000 < batch || current.empty()) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "%ld events, %.0f events/s\n", appended, appended / secs);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  writer.Shutdown();
  std::printf("generated %ld audit events (seq %lld..%lld) over %ld patients in %.0f s (%.0f events/s); %s has %ld\n",
              gen.events, static_cast<long long>(first_seq), static_cast<long long>(first_seq + gen.events - 1),
              gen.patients, secs, gen.events / secs, PatientId(1).c_str(), gen.chosen_events);
  return 0;
}
