// xdsctl: the administrators' tool. Talks to the registry's internal gRPC service.
//
//   xdsctl [--registry_grpc HOST:PORT] [--format=table|json] VERB ARGS...
//
// Verbs:
//   patient add 'ID^^^&OID&ISO'   admit a patient id to the registry's patient index
//   patient list                  list the admitted patient ids
//   find --patient ID [--status approved|deprecated|all]
//                                 FindDocuments for a patient (ITI-18 semantics)
//
// Exit codes: 0 success, 1 the registry refused (an XDS error code is printed),
// 2 usage error, 3 the registry could not be reached.
#include <iostream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "proto/registry_service.grpc.pb.h"
#include "registry/ebrim/vocabulary.h"

ABSL_FLAG(std::string, registry_grpc, "127.0.0.1:8011", "The registry's gRPC address (host:port)");
ABSL_FLAG(std::string, format, "table", "Output format: table or json");
ABSL_FLAG(std::string, patient, "", "Patient id (CX) for find");
ABSL_FLAG(std::string, status, "approved", "find: approved, deprecated or all");

namespace {

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3;

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool Json() { return absl::GetFlag(FLAGS_format) == "json"; }

int Unreachable(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    std::cerr << "xdsctl: refused: " << status.error_message() << "\n";
    return kRefused;
  }
  std::cerr << "xdsctl: the registry at " << absl::GetFlag(FLAGS_registry_grpc)
            << " could not be reached (" << status.error_message() << "). Is it running? Try './xds up'.\n";
  return kUnreachable;
}

int PrintErrors(const xds::RegistryResponse& response) {
  for (const auto& e : response.errors()) std::cerr << "xdsctl: " << e.code() << ": " << e.context() << "\n";
  return kRefused;
}

int PatientAdd(xds::RegistryService::Stub& stub, const std::string& id) {
  grpc::ClientContext context;
  xds::Patient request;
  request.set_id(id);
  xds::AddPatientResponse response;
  grpc::Status status = stub.AddPatient(&context, request, &response);
  if (!status.ok()) return Unreachable(status);
  if (Json()) {
    std::cout << "{\"patient\":" << JsonString(id) << ",\"created\":" << (response.created() ? "true" : "false") << "}\n";
  } else {
    std::cout << (response.created() ? "added " : "already known ") << id << "\n";
  }
  return kOk;
}

int PatientList(xds::RegistryService::Stub& stub) {
  grpc::ClientContext context;
  xds::ListPatientsResponse response;
  grpc::Status status = stub.ListPatients(&context, {}, &response);
  if (!status.ok()) return Unreachable(status);
  if (Json()) {
    std::cout << "{\"patients\":[";
    for (int i = 0; i < response.patients_size(); ++i) std::cout << (i ? "," : "") << JsonString(response.patients(i).id());
    std::cout << "]}\n";
  } else {
    std::cout << "PATIENT\n";
    for (const auto& p : response.patients()) std::cout << p.id() << "\n";
  }
  return kOk;
}

int Find(xds::RegistryService::Stub& stub) {
  std::string patient = absl::GetFlag(FLAGS_patient);
  if (patient.empty()) {
    std::cerr << "xdsctl: find needs --patient 'ID^^^&OID&ISO'\n";
    return kUsage;
  }
  xds::StoredQueryRequest request;
  request.set_query_id("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
  request.set_return_type(xds::LEAF_CLASS);
  auto* pid = request.add_parameters();
  pid->set_name("$XDSDocumentEntryPatientId");
  pid->add_values("'" + patient + "'");
  auto* st = request.add_parameters();
  st->set_name("$XDSDocumentEntryStatus");
  std::string status = absl::GetFlag(FLAGS_status);
  std::vector<std::string> statuses;
  if (status == "approved" || status == "all") statuses.push_back(xds::vocab::kStatusApproved);
  if (status == "deprecated" || status == "all") statuses.push_back(xds::vocab::kStatusDeprecated);
  if (statuses.empty()) {
    std::cerr << "xdsctl: --status must be approved, deprecated or all\n";
    return kUsage;
  }
  std::string list = "(";
  for (size_t i = 0; i < statuses.size(); ++i) list += (i ? ",'" : "'") + statuses[i] + "'";
  st->add_values(list + ")");
  grpc::ClientContext context;
  xds::StoredQueryResponse response;
  grpc::Status s = stub.StoredQuery(&context, request, &response);
  if (!s.ok()) return Unreachable(s);
  if (response.response().status() == xds::FAILURE) return PrintErrors(response.response());
  if (Json()) {
    std::cout << "{\"documents\":[";
    for (int i = 0; i < response.document_entries_size(); ++i) {
      const auto& de = response.document_entries(i);
      std::cout << (i ? "," : "") << "{\"entryUUID\":" << JsonString(de.header().entry_uuid())
                << ",\"uniqueId\":" << JsonString(de.unique_id())
                << ",\"status\":" << JsonString(de.header().status() == xds::APPROVED ? "Approved" : "Deprecated")
                << ",\"classCode\":" << JsonString(de.class_code().code())
                << ",\"creationTime\":" << JsonString(de.creation_time())
                << ",\"repositoryUniqueId\":" << JsonString(de.repository_unique_id())
                << ",\"mimeType\":" << JsonString(de.mime_type()) << ",\"title\":" << JsonString(de.header().title())
                << "}";
    }
    std::cout << "]}\n";
  } else {
    std::cout << "UNIQUE ID\tSTATUS\tCLASS\tCREATED\tREPOSITORY\tTITLE\n";
    for (const auto& de : response.document_entries()) {
      std::cout << de.unique_id() << "\t" << (de.header().status() == xds::APPROVED ? "Approved" : "Deprecated")
                << "\t" << de.class_code().code() << "\t" << de.creation_time() << "\t" << de.repository_unique_id()
                << "\t" << de.header().title() << "\n";
    }
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xdsctl [--registry_grpc HOST:PORT] [--format=table|json] VERB ARGS...\n\n"
      "Verbs:\n"
      "  patient add 'ID^^^&OID&ISO'   admit a patient id to the registry's patient index\n"
      "                                e.g. xdsctl patient add 'BSN123^^^&2.16.840.1.113883.2.4.6.3&ISO'\n"
      "  patient list                  list admitted patient ids\n"
      "  find --patient ID [--status approved|deprecated|all]\n"
      "                                the patient's DocumentEntries (FindDocuments)\n\n"
      "Exit codes: 0 ok, 1 refused by the registry, 2 usage error, 3 registry unreachable.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> verb(args.begin() + 1, args.end());
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_registry_grpc), grpc::InsecureChannelCredentials());
  auto stub = xds::RegistryService::NewStub(channel);
  if (verb.size() == 3 && verb[0] == "patient" && verb[1] == "add") return PatientAdd(*stub, verb[2]);
  if (verb.size() == 2 && verb[0] == "patient" && verb[1] == "list") return PatientList(*stub);
  if (verb.size() == 1 && verb[0] == "find") return Find(*stub);
  std::cerr << "xdsctl: unknown or incomplete verb. Run 'xdsctl --help'.\n";
  return kUsage;
}
