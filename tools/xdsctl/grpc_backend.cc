// Backends over the internal gRPC services (proto/registry_service.proto,
// proto/repository_service.proto).
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "proto/audit.grpc.pb.h"
#include "proto/consent.grpc.pb.h"
#include "proto/registry_service.grpc.pb.h"
#include "proto/repository_service.grpc.pb.h"
#include "tools/xdsctl/backend.h"

namespace xds::ctl {
namespace {

absl::Status FromGrpc(const grpc::Status& s, const std::string& who) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(absl::StrCat(who, " could not be reached (", s.error_message(), ")"));
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(s.error_message());
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::FailedPreconditionError(
          absl::StrCat(who, " does not offer this call (", s.error_message(), "); is it an older version?"));
    case grpc::StatusCode::ALREADY_EXISTS:
      return absl::AlreadyExistsError(s.error_message());
    default:
      // INVALID_ARGUMENT and friends: the service refused the request.
      return absl::FailedPreconditionError(s.error_message());
  }
}

// Mutual TLS with our certificate when the files are given (a file that cannot be read
// leaves the credentials empty, and the first call fails with the handshake).
std::shared_ptr<grpc::ChannelCredentials> Credentials(const tls::Files& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls::ReadFile(files.ca).value_or("");
  options.pem_cert_chain = tls::ReadFile(files.cert).value_or("");
  options.pem_private_key = tls::ReadFile(files.key).value_or("");
  return grpc::SslCredentials(options);
}

void SetDeadline(grpc::ClientContext* context, int timeout_ms) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
}

class GrpcRegistry : public RegistryBackend {
 public:
  GrpcRegistry(const std::string& address, const Connection& connection)
      : address_(address),
        timeout_ms_(connection.timeout_ms),
        stub_(RegistryService::NewStub(grpc::CreateChannel(address, Credentials(connection.tls)))) {}

  std::string Describe() const override { return "the registry at " + address_ + " (gRPC)"; }

  absl::StatusOr<StoredQueryResponse> StoredQuery(const StoredQueryRequest& request) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    StoredQueryResponse response;
    if (auto s = FromGrpc(stub_->StoredQuery(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::StatusOr<RegistryResponse> UpdateDocumentSet(const Submission& submission) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    RegisterRequest request;
    *request.mutable_submission() = submission;
    RegistryResponse response;
    if (auto s = FromGrpc(stub_->UpdateDocumentSet(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::StatusOr<RegistryResponse> RemoveMetadata(const RemoveMetadataRequest& request) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    RegistryResponse response;
    if (auto s = FromGrpc(stub_->RemoveMetadata(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::StatusOr<bool> AddPatient(const std::string& patient_id) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    Patient request;
    request.set_id(patient_id);
    AddPatientResponse response;
    if (auto s = FromGrpc(stub_->AddPatient(&context, request, &response), Describe()); !s.ok()) return s;
    return response.created();
  }

  absl::StatusOr<std::vector<std::string>> ListPatients() override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    ListPatientsResponse response;
    if (auto s = FromGrpc(stub_->ListPatients(&context, {}, &response), Describe()); !s.ok()) return s;
    std::vector<std::string> out;
    for (const auto& p : response.patients()) out.push_back(p.id());
    return out;
  }

  absl::StatusOr<PatientLinksResponse> PatientLinks(const std::string& patient_id) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    Patient request;
    request.set_id(patient_id);
    PatientLinksResponse response;
    if (auto s = FromGrpc(stub_->PatientLinks(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::StatusOr<StatsResponse> Stats() override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    StatsResponse response;
    if (auto s = FromGrpc(stub_->Stats(&context, {}, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::StatusOr<BackupResponse> Backup(const std::string& path) override {
    grpc::ClientContext context;
    // A backup copies the whole store: give it far longer than a query.
    SetDeadline(&context, std::max(timeout_ms_, 3600 * 1000));
    BackupRequest request;
    request.set_path(path);
    BackupResponse response;
    if (auto s = FromGrpc(stub_->Backup(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

 private:
  std::string address_;
  int timeout_ms_;
  std::unique_ptr<RegistryService::Stub> stub_;
};

class GrpcRepository : public RepositoryBackend {
 public:
  GrpcRepository(const std::string& address, const Connection& connection)
      : address_(address),
        timeout_ms_(connection.timeout_ms),
        stub_(RepositoryService::NewStub(grpc::CreateChannel(address, Credentials(connection.tls)))) {}

  std::string Describe() const override { return "the repository at " + address_ + " (gRPC)"; }

  absl::StatusOr<RegistryResponse> RemoveDocuments(const RetrieveDocumentSetRequest& request) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    RegistryResponse response;
    if (auto s = FromGrpc(stub_->RemoveDocuments(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::Status Retrieve(const std::string&, const std::string& document_unique_id, DocumentSink* sink,
                        RegistryResponse*) override {
    grpc::ClientContext context;
    // Large documents stream for a while; the timeout bounds inactivity-free transfers.
    SetDeadline(&context, std::max(timeout_ms_, 600 * 1000));
    RetrieveRequest request;
    request.set_document_unique_id(document_unique_id);
    std::unique_ptr<grpc::ClientReader<DocumentChunk>> reader = stub_->Retrieve(&context, request);
    DocumentChunk chunk;
    bool first = true;
    absl::Status sink_status;
    while (reader->Read(&chunk)) {
      if (first) {
        sink_status = sink->Begin(chunk.mime_type(), chunk.size() > 0 ? chunk.size() : -1);
        first = false;
      }
      if (sink_status.ok()) sink_status = sink->Write(chunk.data());
      if (!sink_status.ok()) {
        context.TryCancel();
        break;
      }
    }
    grpc::Status s = reader->Finish();
    if (!sink_status.ok()) return sink_status;
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      return absl::NotFoundError(absl::StrCat(Describe(), " holds no document ", document_unique_id));
    }
    if (auto st = FromGrpc(s, Describe()); !st.ok()) return st;
    if (first) return sink->Begin("", 0);  // an empty document
    return absl::OkStatus();
  }

  absl::StatusOr<RegistryResponse> ProvideAndRegister(const Submission&, const std::vector<DocumentContent>&) override {
    return absl::UnimplementedError("submit needs the repository's SOAP endpoint (--repository URL)");
  }

 private:
  std::string address_;
  int timeout_ms_;
  std::unique_ptr<RepositoryService::Stub> stub_;
};

class GrpcAudit : public AuditBackend {
 public:
  GrpcAudit(const std::string& address, const Connection& connection)
      : address_(address),
        timeout_ms_(connection.timeout_ms),
        stub_(AuditService::NewStub(grpc::CreateChannel(address, Credentials(connection.tls)))) {}

  std::string Describe() const override { return "the registry's audit store at " + address_ + " (gRPC)"; }

  absl::StatusOr<AuditLogResponse> Log(const AuditLogRequest& request) override {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    AuditLogResponse response;
    if (auto s = FromGrpc(stub_->Log(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  absl::StatusOr<VerifyAuditResponse> Verify() override {
    grpc::ClientContext context;
    // Verify rehashes the whole chain: give it far longer than a query, as Backup does.
    SetDeadline(&context, std::max(timeout_ms_, 3600 * 1000));
    VerifyAuditResponse response;
    if (auto s = FromGrpc(stub_->Verify(&context, {}, &response), Describe()); !s.ok()) return s;
    return response;
  }

 private:
  std::string address_;
  int timeout_ms_;
  std::unique_ptr<AuditService::Stub> stub_;
};

class GrpcConsent : public ConsentBackend {
 public:
  GrpcConsent(const std::string& address, const Connection& connection)
      : address_(address),
        timeout_ms_(connection.timeout_ms),
        stub_(ConsentService::NewStub(grpc::CreateChannel(address, Credentials(connection.tls)))) {}

  std::string Describe() const override { return "the registry's consent desk at " + address_ + " (gRPC)"; }

  absl::StatusOr<ConsentChangeResponse> Grant(const ConsentRuleRequest& request) override {
    return Call(&ConsentService::Stub::Grant, request);
  }
  absl::StatusOr<ConsentChangeResponse> Deny(const ConsentRuleRequest& request) override {
    return Call(&ConsentService::Stub::Deny, request);
  }
  absl::StatusOr<ConsentChangeResponse> Revoke(const ConsentRevokeRequest& request) override {
    return Call(&ConsentService::Stub::Revoke, request);
  }
  absl::StatusOr<PatientConsent> List(const ConsentListRequest& request) override {
    return Call(&ConsentService::Stub::List, request);
  }
  absl::StatusOr<ConsentChangeResponse> StartRelationship(const ConsentSubjectRequest& request) override {
    return Call(&ConsentService::Stub::StartRelationship, request);
  }
  absl::StatusOr<ConsentChangeResponse> EndRelationship(const ConsentSubjectRequest& request) override {
    return Call(&ConsentService::Stub::EndRelationship, request);
  }
  absl::StatusOr<ConsentChangeResponse> Exclude(const ConsentSubjectRequest& request) override {
    return Call(&ConsentService::Stub::Exclude, request);
  }
  absl::StatusOr<ConsentChangeResponse> Unexclude(const ConsentSubjectRequest& request) override {
    return Call(&ConsentService::Stub::Unexclude, request);
  }

 private:
  // Every verb is one unary call with the same deadline and error mapping.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (ConsentService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                                             Response*),
                                const Request& request) {
    grpc::ClientContext context;
    SetDeadline(&context, timeout_ms_);
    Response response;
    if (auto s = FromGrpc((stub_.get()->*method)(&context, request, &response), Describe()); !s.ok()) return s;
    return response;
  }

  std::string address_;
  int timeout_ms_;
  std::unique_ptr<ConsentService::Stub> stub_;
};

}  // namespace

std::unique_ptr<ConsentBackend> MakeGrpcConsentBackend(const std::string& address, const Connection& connection) {
  return std::make_unique<GrpcConsent>(address, connection);
}

std::unique_ptr<AuditBackend> MakeGrpcAuditBackend(const std::string& address, const Connection& connection) {
  return std::make_unique<GrpcAudit>(address, connection);
}

std::unique_ptr<RegistryBackend> MakeGrpcRegistryBackend(const std::string& address, const Connection& connection) {
  return std::make_unique<GrpcRegistry>(address, connection);
}

std::unique_ptr<RepositoryBackend> MakeGrpcRepositoryBackend(const std::string& address, const Connection& connection) {
  return std::make_unique<GrpcRepository>(address, connection);
}

}  // namespace xds::ctl
