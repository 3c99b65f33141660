// ITI-41 Provide and Register Document Set-b (ITI TF-2 3.41; XDS-B.md §5.2 P1-P15), all or
// nothing across the repository's store and the registry:
//   check (P2-P5, P7) -> Stage every document (pending, invisible to ITI-43) -> ITI-42 over
//   gRPC with the updated metadata (P8, P10) -> Commit on Success, Abort on Failure.
// A crash between Stage and Commit leaves pending rows; at start-up each is resolved by
// asking the registry whether its DocumentEntry (with our repositoryUniqueId) exists.
#ifndef XDS_REPOSITORY_ITI41_PROVIDE_AND_REGISTER_H_
#define XDS_REPOSITORY_ITI41_PROVIDE_AND_REGISTER_H_

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "proto/xds_metadata.pb.h"
#include "registry/shared/model/provide_and_register_request.h"
#include "registry/shared/service/call_gate.h"
#include "repository/document_store.h"
#include "repository/registry_client.h"

namespace xds {

struct ProvideAndRegisterOptions {
  std::string repository_unique_id;  // our OID, put on every DocumentEntry (P8)
  absl::Duration reconcile_retry = absl::Seconds(2);
  // Test-only crash points (the e2e tests SIGKILL the process during these sleeps).
  absl::Duration test_pause_after_stage = absl::ZeroDuration();
  absl::Duration test_pause_after_register = absl::ZeroDuration();
};

class ProvideAndRegisterService {
 public:
  ProvideAndRegisterService(DocumentStore* store, RegistryClient* registry, ProvideAndRegisterOptions options);
  ~ProvideAndRegisterService();  // stops the background reconciliation

  // ITI-41. Success only when the registry accepted and every document is committed;
  // otherwise Failure with every error found (the registry's copied through, P10). Store
  // and registry failures answer fixed texts; their statuses (paths, SQLite, the
  // registry's address) go to `outcome`, for the service log only.
  // `source_organization`: the submitting source's organisation (its certificate's), which
  // the registry records as the documents' submitter (issue 16).
  RegistryResponse ProvideAndRegister(ProvideAndRegisterRequest request, const std::string& source_organization,
                                      CallOutcome& outcome);

  // Crash recovery, called once before serving: removes orphan files, then resolves every
  // pending row against the registry. Rows the registry cannot be asked about now stay
  // pending (invisible to ITI-43) and are retried in the background. Returns how many
  // rows are still unresolved.
  size_t RecoverAtStartup();

  size_t unresolved() const;

 private:
  // Commits the ids whose DocumentEntry the registry holds with our repositoryUniqueId and
  // the staged hash, aborts the others. Returns the ids that could not be decided.
  std::vector<std::string> Resolve(const std::vector<std::string>& unique_ids);
  void Reconcile(std::vector<std::string> unique_ids);  // hand over to the background thread
  void ReconcileLoop();

  DocumentStore* store_;
  RegistryClient* registry_;
  ProvideAndRegisterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> unresolved_;
  bool stopping_ = false;
  std::thread reconciler_;
};

}  // namespace xds

#endif  // XDS_REPOSITORY_ITI41_PROVIDE_AND_REGISTER_H_
