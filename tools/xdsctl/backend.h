// The two ways xdsctl reaches a registry and a repository: this project's internal gRPC
// services, or plain XDS.b SOAP (ITI-18, ITI-41, ITI-43) against any vendor's actors.
//
// Failures are absl::Status values whose code decides xdsctl's exit code:
//   Unavailable / DeadlineExceeded  -> 3 (unreachable)
//   NotFound                        -> 4
//   Unimplemented                   -> 2 (not possible over this transport: a usage error)
//   anything else                   -> 1 (refused)
// Business refusals of XDS transactions come back as RegistryResponse values instead, so
// that their XDS error codes can be shown.
#ifndef XDS_TOOLS_XDSCTL_BACKEND_H_
#define XDS_TOOLS_XDSCTL_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/audit.pb.h"
#include "proto/consent.pb.h"
#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"
#include "registry/shared/net/tls.h"

namespace xds::ctl {

class RegistryBackend {
 public:
  virtual ~RegistryBackend() = default;
  virtual std::string Describe() const = 0;  // "the registry at ..." for messages
  virtual absl::StatusOr<StoredQueryResponse> StoredQuery(const StoredQueryRequest& request) = 0;
  // ITI-57 Update Document Set and ITI-62 Remove Metadata (gRPC, or SOAP to any registry).
  virtual absl::StatusOr<RegistryResponse> UpdateDocumentSet(const Submission& submission) = 0;
  virtual absl::StatusOr<RegistryResponse> RemoveMetadata(const RemoveMetadataRequest& request) = 0;
  // Administrative calls: gRPC only (XDS.b has no transaction for them).
  virtual absl::StatusOr<bool> AddPatient(const std::string& patient_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListPatients() = 0;
  // The feed's merges of an id (gRPC only).
  virtual absl::StatusOr<PatientLinksResponse> PatientLinks(const std::string& patient_id) = 0;
  virtual absl::StatusOr<StatsResponse> Stats() = 0;
  virtual absl::StatusOr<BackupResponse> Backup(const std::string& path) = 0;
};

// Receives a retrieved document as it arrives.
class DocumentSink {
 public:
  virtual ~DocumentSink() = default;
  // Called once before any data; size is -1 when unknown.
  virtual absl::Status Begin(const std::string& mime_type, int64_t size) = 0;
  virtual absl::Status Write(std::string_view data) = 0;
};

// The registry's audit store (proto/audit.proto AuditService), on its gRPC port.
class AuditBackend {
 public:
  virtual ~AuditBackend() = default;
  virtual std::string Describe() const = 0;
  virtual absl::StatusOr<AuditLogResponse> Log(const AuditLogRequest& request) = 0;
  virtual absl::StatusOr<VerifyAuditResponse> Verify() = 0;
};

// The registry's consent desk (proto/consent.proto ConsentService), on its gRPC port.
class ConsentBackend {
 public:
  virtual ~ConsentBackend() = default;
  virtual std::string Describe() const = 0;
  virtual absl::StatusOr<ConsentChangeResponse> Grant(const ConsentRuleRequest& request) = 0;
  virtual absl::StatusOr<ConsentChangeResponse> Deny(const ConsentRuleRequest& request) = 0;
  virtual absl::StatusOr<ConsentChangeResponse> Revoke(const ConsentRevokeRequest& request) = 0;
  virtual absl::StatusOr<PatientConsent> List(const ConsentListRequest& request) = 0;
  virtual absl::StatusOr<ConsentChangeResponse> StartRelationship(const ConsentSubjectRequest& request) = 0;
  virtual absl::StatusOr<ConsentChangeResponse> EndRelationship(const ConsentSubjectRequest& request) = 0;
  virtual absl::StatusOr<ConsentChangeResponse> Exclude(const ConsentSubjectRequest& request) = 0;
  virtual absl::StatusOr<ConsentChangeResponse> Unexclude(const ConsentSubjectRequest& request) = 0;
};

// A file to be sent with ITI-41: the xds:Document id and its bytes.
struct DocumentContent {
  std::string id;
  std::string content;
  std::string mime_type;
};

class RepositoryBackend {
 public:
  virtual ~RepositoryBackend() = default;
  virtual std::string Describe() const = 0;
  // ITI-43 (or the gRPC stream). Sets *refusal and returns OK when the repository answered
  // with XDS errors.
  virtual absl::Status Retrieve(const std::string& repository_unique_id, const std::string& document_unique_id,
                                DocumentSink* sink, RegistryResponse* refusal) = 0;
  // ITI-86 Remove Documents (gRPC, or SOAP to any repository).
  virtual absl::StatusOr<RegistryResponse> RemoveDocuments(const RetrieveDocumentSetRequest& request) = 0;
  // ITI-41 Provide and Register Document Set-b (SOAP only).
  virtual absl::StatusOr<RegistryResponse> ProvideAndRegister(const Submission& submission,
                                                              const std::vector<DocumentContent>& documents) = 0;
};

// How xdsctl reaches a service: each call's deadline, and mutual TLS (an https URL, or a
// gRPC service of a secure node) when the files are given.
struct Connection {
  int timeout_ms = 30000;
  tls::Files tls;
};

std::unique_ptr<RegistryBackend> MakeGrpcRegistryBackend(const std::string& address, const Connection& connection);
absl::StatusOr<std::unique_ptr<RegistryBackend>> MakeSoapRegistryBackend(const std::string& url,
                                                                         const Connection& connection);
std::unique_ptr<AuditBackend> MakeGrpcAuditBackend(const std::string& address, const Connection& connection);
std::unique_ptr<ConsentBackend> MakeGrpcConsentBackend(const std::string& address, const Connection& connection);
// Retrieve only; ProvideAndRegister is Unimplemented.
std::unique_ptr<RepositoryBackend> MakeGrpcRepositoryBackend(const std::string& address, const Connection& connection);
absl::StatusOr<std::unique_ptr<RepositoryBackend>> MakeSoapRepositoryBackend(const std::string& url,
                                                                             const Connection& connection);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_BACKEND_H_
