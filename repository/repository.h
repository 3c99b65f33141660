// The Document Repository: ITI-41 Provide and Register, ITI-43 Retrieve and the internal
// retrieval of one document, on the canonical model. It is the one way into the document
// store: the SOAP endpoint and the gRPC service are thin adapters that build a CallContext,
// decode and encode, and call it; every call passes the repository's CallGate
// (authorisation before the transaction, audit after it).
#ifndef XDS_REPOSITORY_REPOSITORY_H_
#define XDS_REPOSITORY_REPOSITORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/xds_metadata.pb.h"
#include "registry/shared/model/provide_and_register_request.h"
#include "registry/shared/service/call_gate.h"
#include "repository/access_cache.h"
#include "repository/document_store.h"
#include "repository/iti41_provide_and_register.h"
#include "repository/iti43_retrieve.h"
#include "repository/iti86/iti86_remove_documents.h"
#include "repository/registry_client.h"

namespace xds {

struct RepositoryOptions {
  ProvideAndRegisterOptions provide_and_register;
  RetrieveOptions retrieve;
  GateOptions gate;  // rights from the certificate on mutual TLS
  // ITI-43 and the internal retrieval ask the registry's access decision (issue 16) and
  // remember its answers this long (AccessCache). Off only to measure its cost.
  bool access_decision = true;
  absl::Duration access_cache_ttl = absl::Seconds(10);
};

// One committed document, mapped read-only.
struct RetrievedDocument {
  StoredDocument document;
  std::unique_ptr<DocumentContent> content;
};

class Repository {
 public:
  // `registry` is where ITI-41 registers the metadata (ITI-42 over gRPC).
  Repository(std::unique_ptr<DocumentStore> store, std::unique_ptr<RegistryClient> registry, RepositoryOptions options);

  // Crash recovery, once before serving (see ProvideAndRegisterService::RecoverAtStartup).
  // Returns how many staged documents are still unresolved.
  size_t RecoverAtStartup();

  // ITI-41: checks every document against its DocumentEntry, stores them, registers the
  // metadata; all or nothing. `request.errors` (found while decoding) are answered with
  // every other error found.
  // A caller the gate refuses gets its PermissionDenied status (a SOAP Fault), nothing else.
  absl::StatusOr<RegistryResponse> ProvideAndRegister(const CallContext& context, ProvideAndRegisterRequest request);

  // ITI-43. `decode_errors` (a body that is no RetrieveDocumentSetRequest) are the answer,
  // a Failure, when not empty. Refusals as for ProvideAndRegister.
  absl::StatusOr<RetrieveResult> Retrieve(const CallContext& context, const RetrieveDocumentSetRequest& request,
                                          std::vector<RegistryError> decode_errors = {});

  // ITI-86 Remove Documents (RMD): deletes the documents asked for, durably, with their
  // files. `decode_errors` and refusals as for Retrieve.
  absl::StatusOr<RegistryResponse> RemoveDocuments(const CallContext& context,
                                                   const RetrieveDocumentSetRequest& request,
                                                   std::vector<RegistryError> decode_errors = {});

  // One committed document by uniqueId (the internal gRPC retrieval). NotFound when the
  // repository holds no committed document with that id; Unavailable, with a message safe
  // for the caller, when the store fails (its detail goes to the log); PermissionDenied when
  // the gate refuses.
  absl::StatusOr<RetrievedDocument> RetrieveDocument(const CallContext& context, const std::string& unique_id);

  // A request refused at the edge before any transaction (see CallGate::Refused).
  void RecordEdgeRefusal(const CallContext& context, std::string_view transaction, std::string_view code,
                         std::string_view detail) const {
    gate_.Refused(context, transaction, code, detail);
  }

  const RepositoryOptions& options() const { return options_; }

 private:
  std::unique_ptr<DocumentStore> store_;
  std::unique_ptr<RegistryClient> registry_;
  RepositoryOptions options_;
  ProvideAndRegisterService provide_and_register_;  // after store_ and registry_: stops first
  std::unique_ptr<AccessCache> access_;             // null without access_decision
  CallGate gate_;
};

}  // namespace xds

#endif  // XDS_REPOSITORY_REPOSITORY_H_
