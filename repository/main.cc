// xds-repository: the Document Repository process. SOAP (ITI-41, ITI-43) at /xds/repository;
// documents in --data_dir, metadata registered at the registry over its gRPC service.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/audit/forwarder.h"
#include "registry/shared/net/http_server.h"
#include "registry/shared/service/entry_contexts.h"
#include "registry/shared/service/process.h"
#include "repository/document_store.h"
#include "repository/grpc_service.h"
#include "repository/registry_client.h"
#include "repository/repository.h"
#include "repository/soap_endpoint.h"

ABSL_FLAG(std::string, data_dir, "var/repository",
          "Directory of the documents and their SQLite index (created when absent)");
ABSL_FLAG(std::string, listen_address, "127.0.0.1", "Address the SOAP server listens on");
ABSL_FLAG(int, http_port, 8020, "SOAP endpoint port (0 = any free port, see --port_file)");
ABSL_FLAG(std::string, port_file, "",
          "When set, the bound ports are written here as 'HTTP_PORT GRPC_PORT' once serving (GRPC_PORT is 0: "
          "the repository has no gRPC service)");
ABSL_FLAG(int, grpc_port, 8021, "Internal gRPC port (document retrieval for xdsctl; 0 = any free port)");
ABSL_FLAG(std::string, registry_grpc, "127.0.0.1:8011", "host:port of the Document Registry's gRPC service");
ABSL_FLAG(int, registry_timeout_ms, 30000, "Deadline of each call to the registry, in milliseconds");
ABSL_FLAG(std::string, repository_unique_id, "1.3.6.1.4.1.21367.2005.3.7.200",
          "This repository's repositoryUniqueId (OID), set on every DocumentEntry it registers");
ABSL_FLAG(std::string, home_community_id, "", "homeCommunityId (urn:oid:...) returned by ITI-43; empty = none");
ABSL_FLAG(int64_t, max_body_bytes, int64_t{256} << 20,
          "Largest accepted HTTP request body in bytes (default 256 MiB). The body is held in memory once; "
          "larger requests get HTTP 413 with a SOAP Fault");
ABSL_FLAG(int, max_xml_depth, 64, "Deepest accepted XML element nesting");
ABSL_FLAG(bool, access_decision, true,
          "Ask the registry's access decision (consent and access policy) before ITI-43 hands out a document. "
          "--noaccess_decision only to measure its cost: without it every consumer gets every document");
ABSL_FLAG(int, access_cache_ttl_ms, 10000,
          "How long an access decision is reused (only while the registry's policy stream is connected and "
          "unchanged); 0 = ask for every retrieve");
ABSL_FLAG(int, test_pause_after_stage_ms, 0,
          "TESTS ONLY: sleep this long between staging documents and registering them (crash-recovery tests)");
ABSL_FLAG(int, test_pause_after_register_ms, 0,
          "TESTS ONLY: sleep this long between the registry's Success and committing (crash-recovery tests)");

int main(int argc, char** argv) {
  xds::service::InitProcess(argc, argv, "xds-repository: IHE XDS.b Document Repository (ITI-41, ITI-43)");

  auto security =
      xds::service::LoadTransportSecurity(absl::GetFlag(FLAGS_listen_address), absl::GetFlag(FLAGS_data_dir));
  if (!security.ok()) {
    std::cerr << "xds-repository: " << security.status().message() << "\n";
    return 1;
  }
  auto store = xds::OpenFileDocumentStore(absl::GetFlag(FLAGS_data_dir));
  if (!store.ok()) {
    std::cerr << "xds-repository: cannot open store: " << store.status() << "\n";
    return 1;
  }
  std::unique_ptr<xds::RegistryClient> registry =
      xds::MakeGrpcRegistryClient(absl::GetFlag(FLAGS_registry_grpc), security->grpc_client,
                                  absl::Milliseconds(absl::GetFlag(FLAGS_registry_timeout_ms)));

  xds::RepositoryOptions options;
  options.provide_and_register.repository_unique_id = absl::GetFlag(FLAGS_repository_unique_id);
  options.provide_and_register.test_pause_after_stage =
      absl::Milliseconds(absl::GetFlag(FLAGS_test_pause_after_stage_ms));
  options.provide_and_register.test_pause_after_register =
      absl::Milliseconds(absl::GetFlag(FLAGS_test_pause_after_register_ms));
  options.retrieve.repository_unique_id = absl::GetFlag(FLAGS_repository_unique_id);
  options.retrieve.home_community_id = absl::GetFlag(FLAGS_home_community_id);
  options.access_decision = absl::GetFlag(FLAGS_access_decision);
  options.access_cache_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_access_cache_ttl_ms));
  xds::audit::Trail& trail = (*store)->audit_trail();
  options.gate = xds::service::GateFlags(
      *security, &trail,
      absl::StrCat(absl::GetFlag(FLAGS_listen_address), ":", absl::GetFlag(FLAGS_http_port), "/xds/repository"));
  // The one way into the store for SOAP and gRPC alike; its gate logs failed calls with their detail.
  xds::Repository repository(std::move(*store), std::move(registry), options);
  // Before serving: a crash may have left staged documents whose fate the registry knows.
  size_t unresolved = repository.RecoverAtStartup();
  if (unresolved > 0) {
    std::cerr << "xds-repository: " << unresolved
              << " pending document(s) could not be resolved (registry unreachable); retrying in the background\n";
  }

  auto xua = xds::service::LoadXua();
  if (!xua.ok()) {
    std::cerr << "xds-repository: " << xua.status().message() << "\n";
    return 1;
  }
  xds::RepositoryEndpointOptions endpoint;
  endpoint.xua = xua->get();
  endpoint.xml.max_xml_depth = absl::GetFlag(FLAGS_max_xml_depth);
  xds::http::ServerOptions http_options;
  http_options.address = absl::GetFlag(FLAGS_listen_address);
  http_options.port = absl::GetFlag(FLAGS_http_port);
  http_options.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  http_options.tls = security->soap;
  http_options.on_handshake_failure = [&repository](const std::string& peer, const std::string& reason) {
    repository.RecordEdgeRefusal(xds::HandshakeFailureContext(peer), "TLS", "HANDSHAKE_FAILURE", reason);
  };
  xds::service::ApplyHttpFlags(&http_options);
  auto http_server = xds::http::StartServer(http_options, xds::MakeRepositorySoapHandler(&repository, endpoint));
  if (!http_server.ok()) {
    std::cerr << "xds-repository: " << http_server.status().message() << "\n";
    return 1;
  }

  auto atna =
      xds::service::StartAtnaSenders(*security, &trail, "xds-repository", absl::GetFlag(FLAGS_home_community_id));
  if (!atna.ok()) {
    std::cerr << "xds-repository: " << atna.status().message() << "\n";
    return 1;
  }
  // Its audit events go to the region's audit store (the registry) as well.
  xds::audit::Forwarder audit_forwarder(&trail,
                                        grpc::CreateChannel(absl::GetFlag(FLAGS_registry_grpc), security->grpc_client),
                                        absl::StrCat("xds-repository:", absl::GetFlag(FLAGS_repository_unique_id)));

  xds::RepositoryGrpcService grpc_service(&repository);
  int grpc_port = 0;
  std::unique_ptr<grpc::Server> grpc_server =
      xds::service::StartGrpcServer("xds-repository", absl::GetFlag(FLAGS_listen_address),
                                    absl::GetFlag(FLAGS_grpc_port), *security, {&grpc_service}, &grpc_port);
  if (!grpc_server) return 1;

  std::cerr << "xds-repository: SOAP " << security->scheme() << "://" << http_options.address << ":"
            << (*http_server)->port() << "/xds/repository, registry gRPC " << absl::GetFlag(FLAGS_registry_grpc)
            << std::endl;

  xds::service::ServeUntilSignal(absl::GetFlag(FLAGS_port_file), *security, **http_server, *grpc_server, grpc_port);
  return 0;
}
