// Fills a registry store with a realistic population for the query benchmark: PATIENTS
// patients, each with DOCS DocumentEntries in one SubmissionSet (HasMember associations
// included), registered through the registry's own Register path in-process (validation,
// id assignment, group commit), with several threads. Codes, times and authors vary so
// that stored-query filters select a fraction of each patient's documents.
//
// usage: generate_registry DATA_DIR PATIENTS DOCS_PER_PATIENT [THREADS]
// Patient ids: BENCH-<n>^^^&1.3.6.1.4.1.21367.2005.3.7&ISO, n in [0, PATIENTS).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "registry/registry.h"
#include "registry/shared/ebrim/vocabulary.h"

namespace {

constexpr char kAuthority[] = "1.3.6.1.4.1.21367.2005.3.7";
const char* const kClassCodes[] = {"11502-2", "34133-9", "18842-5", "57133-1", "11488-4"};
const char* const kTypeCodes[] = {"11506-3", "34117-2", "28570-0", "18748-4"};
const char* const kPractice[] = {"394585009", "394537008", "408443003"};
const char* const kAuthors[] = {"^Jansen^Anna", "^de Vries^Sanne", "^Bakker^Lotte", "^Visser^Emma", "^Smit^Fleur"};

xds::Code MakeCode(const std::string& code, const std::string& scheme, const std::string& name) {
  xds::Code c;
  c.set_code(code);
  c.set_scheme(scheme);
  c.set_display_name(name);
  return c;
}

std::string PatientId(long n) { return "BENCH-" + std::to_string(n) + "^^^&" + kAuthority + "&ISO"; }

xds::Submission MakeSubmission(long patient, int docs, std::mt19937_64& rng) {
  xds::Submission s;
  std::string pid = PatientId(patient);
  xds::SubmissionSet* ss = s.add_submission_sets();
  ss->mutable_header()->set_entry_uuid("SS");
  ss->set_patient_id(pid);
  ss->set_unique_id("2.25." + std::to_string(rng() >> 1));
  ss->set_source_id("1.2.3.4.9");
  ss->set_submission_time("20250301101600");
  *ss->mutable_content_type_code() = MakeCode("11502-2", "2.16.840.1.113883.6.1", "Laboratory report");
  for (int i = 0; i < docs; ++i) {
    xds::DocumentEntry* de = s.add_document_entries();
    std::string id = "Doc" + std::to_string(i);
    de->mutable_header()->set_entry_uuid(id);
    de->mutable_header()->set_title("Verloskundig verslag " + std::to_string(i));
    de->set_type(xds::STABLE);
    de->set_mime_type("text/xml");
    de->set_patient_id(pid);
    de->set_unique_id("2.25." + std::to_string(rng() >> 1));
    de->set_hash("36b01a250f0cd6417696fec49d8a27abb58dde86");
    de->set_size(24 + static_cast<int64_t>(rng() % 100000));
    de->set_repository_unique_id("1.3.6.1.4.1.21367.2005.3.7.20" + std::to_string(rng() % 3));
    int year = 2015 + static_cast<int>(rng() % 10);
    char when[16];
    std::snprintf(when, sizeof(when), "%04d%02d%02d%02d%02d%02d", year, int(rng() % 12 + 1), int(rng() % 28 + 1),
                  int(rng() % 24), int(rng() % 60), int(rng() % 60));
    de->set_creation_time(when);
    de->set_service_start_time(std::string(when).substr(0, 12));
    de->set_language_code("nl-NL");
    de->set_source_patient_id("LOCAL-" + std::to_string(patient) + "^^^&1.2.3.9&ISO");
    de->add_source_patient_info("PID-5|Jansen^Maria^^^");
    *de->mutable_class_code() = MakeCode(kClassCodes[rng() % 5], "2.16.840.1.113883.6.1", "class");
    *de->mutable_type_code() = MakeCode(kTypeCodes[rng() % 4], "2.16.840.1.113883.6.1", "type");
    *de->mutable_format_code() =
        MakeCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3", "Mime sufficient");
    *de->mutable_healthcare_facility_type_code() = MakeCode("22232009", "2.16.840.1.113883.6.96", "Hospital");
    *de->mutable_practice_setting_code() = MakeCode(kPractice[rng() % 3], "2.16.840.1.113883.6.96", "Obstetrics");
    *de->add_confidentiality_codes() = MakeCode("N", "2.16.840.1.113883.5.25", "Normal");
    xds::Author* author = de->add_authors();
    author->set_person(kAuthors[rng() % 5]);
    author->add_institutions("Verloskundigenpraktijk^^^^^^^^^1.2.3.4.9");
    xds::Association* as = s.add_associations();
    as->mutable_header()->set_entry_uuid("A" + std::to_string(i));
    as->set_type(xds::vocab::kHasMember);
    as->set_source("SS");
    as->set_target(id);
    as->set_submission_set_status("Original");
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: generate_registry DATA_DIR PATIENTS DOCS_PER_PATIENT [THREADS]\n");
    return 2;
  }
  std::string dir = argv[1];
  long patients = std::atol(argv[2]);
  int docs = std::atoi(argv[3]);
  int threads = argc > 4 ? std::atoi(argv[4]) : 4;
  std::filesystem::create_directories(dir);
  xds::SqliteOptions options;
  options.path = dir + "/registry.sqlite";
  options.max_group_size = 512;
  auto store = xds::OpenSqliteMetadataStore(options);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open store: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  xds::RegistryOptions registry_options;
  registry_options.patient_authority = kAuthority;
  xds::Registry registry(std::move(*store), registry_options);

  std::atomic<long> next{0}, failed{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(t * 7919 + 17);
      for (long p; (p = next++) < patients;) {
        const xds::CallContext in_process;
        if (!registry.AddPatient(in_process, PatientId(p)).ok()) ++failed;
        xds::RegistryResponse r = *registry.Register(in_process, MakeSubmission(p, docs, rng));
        if (r.status() != xds::SUCCESS) {
          if (failed++ == 0) std::fprintf(stderr, "refused: %s\n", r.ShortDebugString().c_str());
        }
        if (p % 10000 == 0 && p) {
          double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          std::fprintf(stderr, "%ld patients, %.0f DocumentEntries/s\n", p, p * docs / s);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("generated %ld patients x %d DocumentEntries in %.0f s (%.0f DocumentEntries/s), %ld failures\n",
              patients, docs, seconds, patients * docs / seconds, failed.load());
  return failed ? 1 : 0;
}
