// Backends over plain XDS.b SOAP 1.2: ITI-18 to any Document Registry, ITI-41/ITI-43 to any
// Document Repository. The ebRIM codec builds and reads the metadata; MTOM via
// registry/shared/mime/mime_multipart.
#include <sstream>

#include <pugixml.hpp>

#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/base64.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/net/http_client.h"
#include "tools/xdsctl/backend.h"
#include "xds-schemas/error_codes.h"

namespace xds::ctl {
namespace {

std::string_view Local(const char* name) {
  std::string_view n(name);
  size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

pugi::xml_node ChildLocal(const pugi::xml_node& parent, std::string_view local) {
  for (pugi::xml_node n : parent.children())
    if (n.type() == pugi::node_element && Local(n.name()) == local) return n;
  return {};
}

std::string Serialize(const pugi::xml_node& node) {
  std::ostringstream out;
  node.print(out, "", pugi::format_raw);
  return out.str();
}

// One SOAP exchange: the parsed response envelope, its MTOM parts (if any) and the first
// element of its Body.
struct SoapReply {
  std::string http_body;  // owns the bytes the parts point into
  mime::Multipart parts;
  pugi::xml_document envelope;
  pugi::xml_node body_element;
};

absl::Status Exchange(http::Client& client, const std::string& who, const std::string& envelope,
                      const std::vector<mime::Attachment>& attachments, const char* action, bool mtom,
                      SoapReply* reply) {
  absl::StatusOr<http::Response> r;
  if (mtom) {
    std::string content_type;
    std::string body = mime::BuildMtom(envelope, attachments, action, &content_type);
    r = client.Post(content_type, body);
  } else {
    r = client.Post(absl::StrCat("application/soap+xml; charset=UTF-8; action=\"", action, "\""), envelope);
  }
  if (!r.ok()) {
    if (absl::IsUnavailable(r.status())) {
      return absl::UnavailableError(absl::StrCat(who, " could not be reached (", r.status().message(), ")"));
    }
    return r.status();
  }
  reply->http_body = std::move(r->body);
  std::string_view root = reply->http_body;
  auto ct = mime::ParseContentType(r->content_type);
  if (ct.ok() && ct->type == "multipart/related") {
    auto parts = mime::ParseMultipart(reply->http_body, *ct);
    if (!parts.ok())
      return absl::DataLossError(absl::StrCat(who, " sent a malformed MTOM answer: ", parts.status().message()));
    reply->parts = std::move(*parts);
    root = reply->parts.parts[reply->parts.root_index].body;
  }
  if (!reply->envelope.load_buffer(root.data(), root.size())) {
    return absl::DataLossError(absl::StrCat(who, " answered HTTP ", r->status, " without a SOAP envelope"));
  }
  pugi::xml_node body = ChildLocal(reply->envelope.document_element(), "Body");
  for (pugi::xml_node n : body.children()) {
    if (n.type() == pugi::node_element) {
      reply->body_element = n;
      break;
    }
  }
  if (!reply->body_element) return absl::DataLossError(absl::StrCat(who, " answered with an empty SOAP Body"));
  if (Local(reply->body_element.name()) == "Fault") {
    pugi::xml_node reason = ChildLocal(ChildLocal(reply->body_element, "Reason"), "Text");
    pugi::xml_node code = ChildLocal(ChildLocal(reply->body_element, "Code"), "Value");
    return absl::FailedPreconditionError(
        absl::StrCat(who, " answered with a SOAP Fault (", code.child_value(), "): ", reason.child_value()));
  }
  return absl::OkStatus();
}

// Sends `body` with `action` and reads the one rs:RegistryResponse of the answer.
absl::StatusOr<RegistryResponse> ExchangeForResponse(http::Client& client, const std::string& who,
                                                     const std::string& url, const char* action,
                                                     const pugi::xml_node& body) {
  std::string envelope = http::SoapEnvelope(action, url, Serialize(body));
  SoapReply reply;
  if (auto s = Exchange(client, who, envelope, {}, action, false, &reply); !s.ok()) return s;
  if (Local(reply.body_element.name()) != "RegistryResponse") {
    return absl::DataLossError(absl::StrCat(who, " answered with ", reply.body_element.name()));
  }
  return ebrim::ParseRegistryResponse(reply.body_element);
}

class SoapRegistry : public RegistryBackend {
 public:
  SoapRegistry(const std::string& url, http::Url parsed, std::shared_ptr<boost::asio::ssl::context> tls)
      : url_(url), client_(std::move(parsed), std::move(tls)) {}

  std::string Describe() const override { return "the registry at " + url_; }

  absl::StatusOr<StoredQueryResponse> StoredQuery(const StoredQueryRequest& request) override {
    pugi::xml_document doc;
    ebrim::AppendAdhocQueryRequest(doc, request);
    std::string envelope = http::SoapEnvelope(vocab::kActionStoredQuery, url_, Serialize(doc.document_element()));
    SoapReply reply;
    if (auto s = Exchange(client_, Describe(), envelope, {}, vocab::kActionStoredQuery, false, &reply); !s.ok()) {
      return s;
    }
    if (Local(reply.body_element.name()) != "AdhocQueryResponse") {
      return absl::DataLossError(
          absl::StrCat(Describe(), " answered with ", reply.body_element.name(), " instead of an AdhocQueryResponse"));
    }
    return ebrim::ParseAdhocQueryResponse(reply.body_element);
  }

  absl::StatusOr<RegistryResponse> UpdateDocumentSet(const Submission& submission) override {
    pugi::xml_document doc;
    ebrim::AppendSubmitObjectsRequest(doc, submission);
    return Send(vocab::kActionUpdateDocumentSet, doc.document_element());
  }

  absl::StatusOr<RegistryResponse> RemoveMetadata(const RemoveMetadataRequest& request) override {
    pugi::xml_document doc;
    ebrim::AppendRemoveObjectsRequest(doc, request);
    return Send(vocab::kActionRemoveMetadata, doc.document_element());
  }

  absl::StatusOr<bool> AddPatient(const std::string&) override { return AdminOnly(); }
  absl::StatusOr<std::vector<std::string>> ListPatients() override { return AdminOnly(); }
  absl::StatusOr<PatientLinksResponse> PatientLinks(const std::string&) override { return AdminOnly(); }
  absl::StatusOr<StatsResponse> Stats() override { return AdminOnly(); }
  absl::StatusOr<BackupResponse> Backup(const std::string&) override { return AdminOnly(); }

 private:
  // A request answered by one rs:RegistryResponse (SIMPLE SOAP).
  absl::StatusOr<RegistryResponse> Send(const char* action, const pugi::xml_node& body) {
    return ExchangeForResponse(client_, Describe(), url_, action, body);
  }

  static absl::Status AdminOnly() {
    return absl::UnimplementedError(
        "XDS.b has no SOAP transaction for this; it needs this project's registry gRPC service (--registry_grpc)");
  }
  std::string url_;
  http::Client client_;
};

class SoapRepository : public RepositoryBackend {
 public:
  SoapRepository(const std::string& url, http::Url parsed, std::shared_ptr<boost::asio::ssl::context> tls)
      : url_(url), client_(std::move(parsed), std::move(tls)) {}

  std::string Describe() const override { return "the repository at " + url_; }

  absl::Status Retrieve(const std::string& repository_unique_id, const std::string& document_unique_id,
                        DocumentSink* sink, RegistryResponse* refusal) override {
    pugi::xml_document doc;
    pugi::xml_node request = doc.append_child("xds:RetrieveDocumentSetRequest");
    request.append_attribute("xmlns:xds") = vocab::kXdsNs;
    pugi::xml_node dr = request.append_child("xds:DocumentRequest");
    dr.append_child("xds:RepositoryUniqueId").text() = repository_unique_id.c_str();
    dr.append_child("xds:DocumentUniqueId").text() = document_unique_id.c_str();
    std::string envelope = http::SoapEnvelope(vocab::kActionRetrieve, url_, Serialize(request));
    SoapReply reply;
    if (auto s = Exchange(client_, Describe(), envelope, {}, vocab::kActionRetrieve, true, &reply); !s.ok()) return s;
    pugi::xml_node rr = ChildLocal(reply.body_element, "RegistryResponse");
    RegistryResponse response = ebrim::ParseRegistryResponse(rr);
    for (pugi::xml_node n : reply.body_element.children()) {
      if (Local(n.name()) != "DocumentResponse") continue;
      if (std::string(ChildLocal(n, "DocumentUniqueId").child_value()) != document_unique_id) continue;
      std::string mime_type = ChildLocal(n, "mimeType").child_value();
      pugi::xml_node document = ChildLocal(n, "Document");
      pugi::xml_node include = ChildLocal(document, "Include");
      std::string_view data;
      std::string decoded;
      if (include) {
        const mime::Part* part = mime::FindByCid(reply.parts, include.attribute("href").value());
        if (!part) return absl::DataLossError(absl::StrCat(Describe(), " referenced a missing MTOM part"));
        data = part->body;
      } else {  // inline base64 (allowed when the answer is not optimised)
        auto d = DecodeBase64(document.child_value());
        if (!d.ok()) return absl::DataLossError(absl::StrCat(Describe(), " sent undecodable base64 content"));
        decoded = std::move(*d);
        data = decoded;
      }
      if (auto s = sink->Begin(mime_type, static_cast<int64_t>(data.size())); !s.ok()) return s;
      // Hand the bytes over in slices so a progress display can follow.
      constexpr size_t kSlice = 1 << 20;
      for (size_t at = 0; at < data.size(); at += kSlice) {
        if (auto s = sink->Write(data.substr(at, kSlice)); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (response.errors_size() == 0) {
      RegistryError* e = response.add_errors();
      e->set_code(err::kDocumentUniqueIdError.name);
      e->set_context("the answer held no document " + document_unique_id);
    }
    response.set_status(FAILURE);
    *refusal = response;
    return absl::OkStatus();
  }

  absl::StatusOr<RegistryResponse> RemoveDocuments(const RetrieveDocumentSetRequest& request) override {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("rmd:RemoveDocumentsRequest");
    root.append_attribute("xmlns:rmd") = vocab::kRmdNs;
    root.append_attribute("xmlns:xds") = vocab::kXdsNs;
    for (const DocumentRequest& r : request.document_requests()) {
      pugi::xml_node dr = root.append_child("xds:DocumentRequest");
      if (!r.home_community_id().empty()) dr.append_child("xds:HomeCommunityId").text() = r.home_community_id().c_str();
      dr.append_child("xds:RepositoryUniqueId").text() = r.repository_unique_id().c_str();
      dr.append_child("xds:DocumentUniqueId").text() = r.document_unique_id().c_str();
    }
    return ExchangeForResponse(client_, Describe(), url_, vocab::kActionRemoveDocuments, root);
  }

  absl::StatusOr<RegistryResponse> ProvideAndRegister(const Submission& submission,
                                                      const std::vector<DocumentContent>& documents) override {
    pugi::xml_document doc;
    pugi::xml_node request = doc.append_child("xds:ProvideAndRegisterDocumentSetRequest");
    request.append_attribute("xmlns:xds") = vocab::kXdsNs;
    request.append_attribute("xmlns:xop") = vocab::kXopNs;
    ebrim::AppendSubmitObjectsRequest(request, submission);
    std::vector<mime::Attachment> attachments;
    for (size_t i = 0; i < documents.size(); ++i) {
      std::string cid = absl::StrCat("document", i + 1, "@xdsctl");
      pugi::xml_node d = request.append_child("xds:Document");
      d.append_attribute("id") = documents[i].id.c_str();
      d.append_child("xop:Include").append_attribute("href") = mime::CidHref(cid).c_str();
      attachments.push_back({cid, documents[i].mime_type, documents[i].content});
    }
    std::string envelope = http::SoapEnvelope(vocab::kActionProvideAndRegister, url_, Serialize(request));
    SoapReply reply;
    if (auto s = Exchange(client_, Describe(), envelope, attachments, vocab::kActionProvideAndRegister, true, &reply);
        !s.ok()) {
      return s;
    }
    if (Local(reply.body_element.name()) != "RegistryResponse") {
      return absl::DataLossError(absl::StrCat(Describe(), " answered with ", reply.body_element.name()));
    }
    return ebrim::ParseRegistryResponse(reply.body_element);
  }

 private:
  std::string url_;
  http::Client client_;
};

template <class Backend>
absl::StatusOr<std::unique_ptr<Backend>> MakeSoapBackend(const std::string& url, const Connection& connection) {
  absl::StatusOr<http::Url> parsed = http::ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (connection.tls.enabled()) {
    absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> context = tls::MakeClientContext(connection.tls);
    if (!context.ok()) return context.status();
    tls = *std::move(context);
  }
  return std::make_unique<Backend>(url, *std::move(parsed), std::move(tls));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryBackend>> MakeSoapRegistryBackend(const std::string& url,
                                                                         const Connection& connection) {
  auto backend = MakeSoapBackend<SoapRegistry>(url, connection);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<RegistryBackend>(*std::move(backend));
}

absl::StatusOr<std::unique_ptr<RepositoryBackend>> MakeSoapRepositoryBackend(const std::string& url,
                                                                             const Connection& connection) {
  auto backend = MakeSoapBackend<SoapRepository>(url, connection);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<RepositoryBackend>(*std::move(backend));
}

}  // namespace xds::ctl
