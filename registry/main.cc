// xds-registry: the Document Registry process. SOAP (ITI-42, ITI-18, ITI-44) at /xds/registry,
// the patient identity feed over MLLP (ITI-8) and the internal gRPC service, over one
// SQLite store. Options come from flags or a
// --flagfile (see deploy/registry.flags for every option explained).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "registry/grpc_service.h"
#include "registry/iti8/iti8_feed.h"
#include "registry/iti8/mllp_server.h"
#include "registry/policy/policy.h"
#include "registry/registry.h"
#include "registry/shared/net/http_server.h"
#include "registry/shared/service/entry_contexts.h"
#include "registry/shared/service/process.h"
#include "registry/soap_endpoint.h"

ABSL_FLAG(std::string, data_dir, "var/registry", "Directory of the registry's SQLite store (created when absent)");
ABSL_FLAG(std::string, backup_dir, "",
          "Directory that online backups (xdsctl backup) may be written to; default DATA_DIR/backups");
ABSL_FLAG(std::string, listen_address, "127.0.0.1", "Address the SOAP and gRPC servers listen on");
ABSL_FLAG(int, http_port, 8010, "SOAP endpoint port (0 = any free port, see --port_file)");
ABSL_FLAG(int, grpc_port, 8011, "Internal gRPC port (0 = any free port)");
ABSL_FLAG(std::string, port_file, "",
          "When set, the bound ports are written here as 'HTTP_PORT GRPC_PORT' once serving");
ABSL_FLAG(std::string, patient_authority, "1.3.6.1.4.1.21367.2005.3.7",
          "Assigning-authority OID of the affinity domain's patient ids");
ABSL_FLAG(std::string, home_community_id, "", "homeCommunityId (urn:oid:...) put on returned objects; empty = none");
ABSL_FLAG(int64_t, max_body_bytes, 64 << 20, "Largest accepted HTTP request body, in bytes");
ABSL_FLAG(int, max_xml_depth, 64, "Deepest accepted XML element nesting");
ABSL_FLAG(int, max_registry_objects, 10000, "Most registry objects accepted in one submission");
ABSL_FLAG(int, max_leaf_class_results, 1000, "Most objects in a LeafClass answer before XDSTooManyResults");
ABSL_FLAG(int, max_object_ref_results, 10000, "Most objects in an ObjectRef answer before XDSTooManyResults");
ABSL_FLAG(int, reader_connections, 4, "Pooled read-only SQLite connections");
ABSL_FLAG(int, leaf_class_slots, 4, "LeafClass stored queries answered at once; further ones wait in arrival order");
ABSL_FLAG(std::string, policy_file, "",
          "The affinity domain's consent and access policy (JSON, registry/policy/README.md); empty = no "
          "consent enforcement. A malformed file stops the registry from starting");
ABSL_FLAG(int, patient_feed_mllp_port, -1,
          "Port of the patient identity feed (ITI-8, HL7 v2 over MLLP; mutual TLS like the SOAP endpoint unless "
          "--insecure); 0 = any free port, -1 = no feed listener");
ABSL_FLAG(std::string, patient_feed_port_file, "",
          "When set, the bound MLLP port is written here once it listens (before --port_file)");
ABSL_FLAG(int64_t, max_hl7_message_bytes, 1 << 20, "Largest accepted HL7 v2 message (one MLLP frame), in bytes");
ABSL_FLAG(int, mllp_max_connections, 1000, "Open MLLP connections; beyond, new ones are closed at once");
ABSL_FLAG(bool, require_repository_attributes, true,
          "Require hash, size and repositoryUniqueId on every DocumentEntry (ITI TF-3 Table 4.3.1-3, DR/42)");

int main(int argc, char** argv) {
  xds::service::InitProcess(argc, argv,
                            "xds-registry: IHE XDS.b Document Registry (ITI-42, ITI-18) with a gRPC service");

  // Before the store opens: a bad policy file is a configuration error to fix, not to run with.
  std::shared_ptr<const xds::policy::DomainPolicy> domain_policy;
  if (const std::string path = absl::GetFlag(FLAGS_policy_file); !path.empty()) {
    auto loaded = xds::policy::LoadDomainPolicy(path);
    if (!loaded.ok()) {
      std::cerr << "xds-registry: cannot load --policy_file: " << loaded.status().message() << "\n";
      return 1;
    }
    domain_policy = std::make_shared<const xds::policy::DomainPolicy>(*std::move(loaded));
  }

  std::error_code ec;
  std::filesystem::create_directories(absl::GetFlag(FLAGS_data_dir), ec);
  xds::SqliteOptions store_options;
  store_options.path = absl::GetFlag(FLAGS_data_dir) + "/registry.sqlite";
  store_options.audit_path = absl::GetFlag(FLAGS_data_dir) + "/audit.sqlite";
  store_options.reader_connections = absl::GetFlag(FLAGS_reader_connections);
  store_options.domain_policy = domain_policy.get();
  auto store = xds::OpenSqliteMetadataStore(store_options);
  if (!store.ok()) {
    std::cerr << "xds-registry: cannot open store: " << store.status() << "\n";
    return 1;
  }
  xds::RegistryOptions options;
  options.patient_authority = absl::GetFlag(FLAGS_patient_authority);
  options.home_community_id = absl::GetFlag(FLAGS_home_community_id);
  options.max_leaf_class_results = absl::GetFlag(FLAGS_max_leaf_class_results);
  options.max_object_ref_results = absl::GetFlag(FLAGS_max_object_ref_results);
  options.validation.require_repository_attributes = absl::GetFlag(FLAGS_require_repository_attributes);
  options.domain_policy = std::move(domain_policy);
  std::string backup_dir = absl::GetFlag(FLAGS_backup_dir);
  if (backup_dir.empty()) backup_dir = absl::GetFlag(FLAGS_data_dir) + "/backups";
  std::filesystem::create_directories(backup_dir, ec);
  options.backup_dir = std::filesystem::absolute(backup_dir).lexically_normal().string();
  auto security =
      xds::service::LoadTransportSecurity(absl::GetFlag(FLAGS_listen_address), absl::GetFlag(FLAGS_data_dir));
  if (!security.ok()) {
    std::cerr << "xds-registry: " << security.status().message() << "\n";
    return 1;
  }
  xds::audit::Trail* trail = &(*store)->audit_trail();
  options.gate = xds::service::GateFlags(
      *security, trail,
      absl::StrCat(absl::GetFlag(FLAGS_listen_address), ":", absl::GetFlag(FLAGS_http_port), "/xds/registry"));
  xds::Registry registry(std::move(*store), options);

  // After the registry (which owns the trail): the senders stop first.
  xds::service::AuditRetention retention(trail);
  auto atna = xds::service::StartAtnaSenders(*security, trail, "xds-registry", options.home_community_id);
  if (!atna.ok()) {
    std::cerr << "xds-registry: " << atna.status().message() << "\n";
    return 1;
  }

  xds::RegistryGrpcService grpc_service(&registry, [trail, &atna](xds::StatsResponse* stats) {
    stats->set_audit_events(trail->LastSeq());
    for (const auto& sender : *atna) {
      xds::audit::AtnaSender::Stats s = sender->stats();
      xds::AuditDestination* d = stats->add_audit_destinations();
      d->set_url(sender->url());
      d->set_sent(s.sent);
      d->set_backlog(s.backlog);
      d->set_alarm(s.alarm);
      d->set_last_error(s.last_error);
    }
  });
  xds::AuditGrpcService audit_service(&registry);
  xds::ConsentGrpcService consent_service(&registry);
  int grpc_port = 0;
  std::unique_ptr<grpc::Server> grpc_server =
      xds::service::StartGrpcServer("xds-registry", absl::GetFlag(FLAGS_listen_address), absl::GetFlag(FLAGS_grpc_port),
                                    *security, {&grpc_service, &audit_service, &consent_service}, &grpc_port);
  if (!grpc_server) return 1;

  auto xua = xds::service::LoadXua();
  if (!xua.ok()) {
    std::cerr << "xds-registry: " << xua.status().message() << "\n";
    return 1;
  }
  xds::EndpointLimits limits;
  limits.xua = xua->get();
  limits.xml.max_xml_depth = absl::GetFlag(FLAGS_max_xml_depth);
  limits.max_registry_objects = absl::GetFlag(FLAGS_max_registry_objects);
  limits.leaf_class_slots = absl::GetFlag(FLAGS_leaf_class_slots);
  xds::http::ServerOptions http_options;
  http_options.address = absl::GetFlag(FLAGS_listen_address);
  http_options.port = absl::GetFlag(FLAGS_http_port);
  http_options.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  http_options.tls = security->soap;
  http_options.on_handshake_failure = [&registry](const std::string& peer, const std::string& reason) {
    registry.RecordEdgeRefusal(xds::HandshakeFailureContext(peer), "TLS", "HANDSHAKE_FAILURE", reason);
  };
  xds::service::ApplyHttpFlags(&http_options);
  auto http_server = xds::http::StartServer(http_options, xds::MakeRegistrySoapHandler(&registry, limits));
  if (!http_server.ok()) {
    std::cerr << "xds-registry: " << http_server.status().message() << "\n";
    return 1;
  }

  // The patient identity feed (ITI-8): a connection's messages go through the same gate as
  // every other call, under the sender's certificate.
  std::unique_ptr<xds::iti8::MllpServer> mllp_server;
  if (absl::GetFlag(FLAGS_patient_feed_mllp_port) >= 0) {
    xds::iti8::MllpServerOptions mllp_options;
    mllp_options.address = absl::GetFlag(FLAGS_listen_address);
    mllp_options.port = absl::GetFlag(FLAGS_patient_feed_mllp_port);
    mllp_options.max_frame_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_hl7_message_bytes));
    mllp_options.max_connections = absl::GetFlag(FLAGS_mllp_max_connections);
    mllp_options.tls = security->soap;
    xds::hl7v2::Limits hl7_limits;
    hl7_limits.max_message_bytes = mllp_options.max_frame_bytes;
    xds::iti8::MllpCallbacks callbacks;
    callbacks.on_message = [&registry, hl7_limits](const std::string& message, const xds::iti8::MllpPeer& peer) {
      return xds::iti8::HandleMessage(registry, xds::MllpCallContext(peer.address, peer.identity), message, hl7_limits);
    };
    callbacks.on_refused = [&registry](const xds::iti8::MllpPeer& peer, const std::string& reason, bool handshake) {
      registry.RecordEdgeRefusal(xds::MllpCallContext(peer.address, peer.identity), handshake ? "TLS" : "ITI-8",
                                 handshake ? "HANDSHAKE_FAILURE" : "MLLP_FRAMING", reason);
    };
    auto started = xds::iti8::StartMllpServer(mllp_options, std::move(callbacks));
    if (!started.ok()) {
      std::cerr << "xds-registry: " << started.status().message() << "\n";
      return 1;
    }
    mllp_server = *std::move(started);
    if (const std::string port_file = absl::GetFlag(FLAGS_patient_feed_port_file); !port_file.empty()) {
      std::ofstream(port_file + ".tmp") << mllp_server->port() << "\n";
      std::filesystem::rename(port_file + ".tmp", port_file, ec);
    }
    std::cerr << "xds-registry: patient identity feed (ITI-8, MLLP" << (security->secure() ? " over TLS" : "") << ") "
              << mllp_options.address << ":" << mllp_server->port() << std::endl;
  }

  std::cerr << "xds-registry: SOAP " << security->scheme() << "://" << http_options.address << ":"
            << (*http_server)->port() << "/xds/registry, gRPC " << http_options.address << ":" << grpc_port
            << std::endl;

  xds::service::ServeUntilSignal(absl::GetFlag(FLAGS_port_file), *security, **http_server, *grpc_server, grpc_port);
  if (mllp_server) mllp_server->Shutdown();
  return 0;
}
