// Online backup under load: ITI-42 submissions keep arriving while `xdsctl backup` copies
// the registry's store; `xdsctl restore` puts the copy into a fresh data directory, a
// registry started on it passes PRAGMA integrity_check, and every SubmissionSet it holds
// comes with all its DocumentEntries and its Folder (GetSubmissionSetAndContents): no half
// submission.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "proto/registry_service.grpc.pb.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/net/http_client.h"
#include "tests/e2e/support.h"

extern char** environ;

namespace xds::testing {
namespace {

constexpr char kAuthority[] = "1.2.3.4.5";
constexpr char kPatient[] = "BACKUP-1^^^&1.2.3.4.5&ISO";
constexpr char kFixture[] = "tests/fixtures/iti42/submission_two_docs_folder.xml";

// The fixture (SubmissionSet, two DocumentEntries, a Folder) with fresh uniqueIds.
std::string Freshen(const std::string& xml) {
  pugi::xml_document doc;
  doc.load_string(xml.c_str());
  for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='ExternalIdentifier']")) {
    std::string scheme = n.node().attribute("identificationScheme").value();
    if (scheme == vocab::kDeUniqueId || scheme == vocab::kSsUniqueId || scheme == vocab::kFdUniqueId) {
      n.node().attribute("value") = FreshOid().c_str();
    }
    if (scheme == vocab::kDePatientId || scheme == vocab::kSsPatientId || scheme == vocab::kFdPatientId) {
      n.node().attribute("value") = kPatient;
    }
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

// Runs xdsctl with `args`; returns its exit code.
int Xdsctl(std::vector<std::string> args) {
  args.insert(args.begin(), "tools/xdsctl/xdsctl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

StoredQueryRequest Query(const char* id, std::vector<std::pair<std::string, std::string>> params) {
  StoredQueryRequest r;
  r.set_query_id(id);
  for (auto& [name, value] : params) {
    QueryParameter* p = r.add_parameters();
    p->set_name(name);
    p->add_values(value);
  }
  return r;
}

TEST(BackupTest, BackupDuringSubmissionsRestoresToAConsistentRegistry) {
  std::string data = TempDir();
  Process registry("registry/xds-registry",
                   {"--data_dir=" + data + "/registry", "--http_port=0", "--grpc_port=0", "--backup_dir=" + data,
                    std::string("--patient_authority=") + kAuthority},
                   data + "/ports");
  ASSERT_GT(registry.http_port(), 0);
  std::string grpc_address = "127.0.0.1:" + std::to_string(registry.grpc_port());
  std::string url = "http://127.0.0.1:" + std::to_string(registry.http_port()) + "/xds/registry";
  ASSERT_EQ(Xdsctl({"--registry_grpc=" + grpc_address, "patient", "add", kPatient}), 0);

  const std::string fixture = ReadFile(kFixture);
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0}, refused{0};
  std::vector<std::thread> submitters;
  constexpr int kSubmitters = 3;
  for (int t = 0; t < kSubmitters; ++t) {
    submitters.emplace_back([&] {
      http::Client client(*http::ParseUrl(url));
      while (!stop) {
        auto r = client.Post("application/soap+xml; charset=UTF-8",
                             http::SoapEnvelope(vocab::kActionRegister, url, Freshen(fixture)));
        if (r.ok() && r->body.find("ResponseStatusType:Success") != std::string::npos) {
          ++accepted;
        } else {
          ++refused;
        }
      }
    });
  }
  while (accepted < 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string backup = data + "/registry-backup.sqlite";
  const int accepted_at_backup_start = accepted;
  int backup_rc = Xdsctl({"--registry_grpc=" + grpc_address, "backup", backup});
  const int accepted_at_backup_end = accepted;
  while (accepted < accepted_at_backup_end + 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : submitters) t.join();
  ASSERT_EQ(backup_rc, 0);
  EXPECT_TRUE(std::filesystem::exists(backup + ".audit"));  // the trail, a file of its own
  EXPECT_EQ(refused, 0);
  // A second backup to the same file is refused (never overwrites).
  EXPECT_EQ(Xdsctl({"--registry_grpc=" + grpc_address, "backup", backup}), 1);
  // Nothing is written outside --backup_dir, whatever path a client names.
  const std::string outside = TempDir() + "/elsewhere.sqlite";
  EXPECT_NE(Xdsctl({"--registry_grpc=" + grpc_address, "backup", outside}), 0);
  EXPECT_NE(Xdsctl({"--registry_grpc=" + grpc_address, "backup", data + "/../escape.sqlite"}), 0);
  EXPECT_FALSE(std::filesystem::exists(outside));

  // Restore into a fresh data directory: refused while its pid file names a live process.
  std::string restored = TempDir();
  std::ofstream(restored + "/registry.pid") << getpid() << "\n";
  EXPECT_EQ(Xdsctl({"restore", backup, "--data", restored}), 1);
  std::filesystem::remove(restored + "/registry.pid");
  ASSERT_EQ(Xdsctl({"restore", backup, "--data", restored}), 0);
  EXPECT_TRUE(std::filesystem::exists(restored + "/registry/audit.sqlite"));

  // The restored file itself is sound.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((restored + "/registry/registry.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  Process second("registry/xds-registry",
                 {"--data_dir=" + restored + "/registry", "--http_port=0", "--grpc_port=0",
                  std::string("--patient_authority=") + kAuthority, "--max_leaf_class_results=100000"},
                 restored + "/ports");
  ASSERT_GT(second.grpc_port(), 0);
  auto stub = RegistryService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(second.grpc_port()), grpc::InsecureChannelCredentials()));
  StoredQueryResponse sets;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        stub->StoredQuery(&context,
                          Query(vocab::kQueryFindSubmissionSets,
                                {{"$XDSSubmissionSetPatientId", std::string("'") + kPatient + "'"},
                                 {"$XDSSubmissionSetStatus", std::string("('") + vocab::kStatusApproved + "')"}}),
                          &sets)
            .ok());
  }
  ASSERT_EQ(sets.response().status(), SUCCESS);
  const int backed_up = sets.submission_sets_size();
  // A snapshot taken while the backup ran: it holds everything answered before it began, and
  // at most what was answered by its end plus one submission per submitter whose commit it
  // caught before the answer reached the client.
  EXPECT_GE(backed_up, accepted_at_backup_start);
  EXPECT_LE(backed_up, accepted_at_backup_end + kSubmitters);
  EXPECT_LT(backed_up, accepted.load());
  for (const SubmissionSet& ss : sets.submission_sets()) {
    grpc::ClientContext context;
    StoredQueryResponse contents;
    ASSERT_TRUE(stub->StoredQuery(&context,
                                  Query(vocab::kQueryGetSubmissionSetAndContents,
                                        {{"$XDSSubmissionSetEntryUUID", "'" + ss.header().entry_uuid() + "'"}}),
                                  &contents)
                    .ok());
    ASSERT_EQ(contents.response().status(), SUCCESS);
    EXPECT_EQ(contents.document_entries_size(), 2) << ss.unique_id() << " lost DocumentEntries in the backup";
    EXPECT_EQ(contents.folders_size(), 1) << ss.unique_id() << " lost its Folder in the backup";
  }
  // Nothing dangling either: every DocumentEntry of the patient belongs to one of those sets.
  grpc::ClientContext context;
  StoredQueryResponse docs;
  ASSERT_TRUE(stub->StoredQuery(&context,
                                Query(vocab::kQueryFindDocuments,
                                      {{"$XDSDocumentEntryPatientId", std::string("'") + kPatient + "'"},
                                       {"$XDSDocumentEntryStatus", std::string("('") + vocab::kStatusApproved + "')"}}),
                                &docs)
                  .ok());
  EXPECT_EQ(docs.document_entries_size(), 2 * backed_up);
}

}  // namespace
}  // namespace xds::testing
