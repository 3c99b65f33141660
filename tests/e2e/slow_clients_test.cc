// Slow and stalled clients against the real xds-registry and xds-repository: thousands of
// connections that send a header and one body byte and then nothing must neither stop the
// services answering ITI-18 and ITI-43 promptly nor stay open past the body timeout; beyond
// --max_connections a new client is told 503 at once.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proto/registry_service.grpc.pb.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/net/http_client.h"
#include "tests/e2e/support.h"

namespace xds::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The fixture's patient and affinity domain.
constexpr char kAuthority[] = "1.2.3.4.5";
constexpr char kPatient[] = "P-1^^^&1.2.3.4.5&ISO";
constexpr char kRepositoryId[] = "1.2.3.4.5.8.1";
constexpr char kContent[] = "Slow-clients test document: discharge letter\n";

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Sockets left open by the test: 2 x 2,000 stalled ones need more than the default 1,024.
void RaiseDescriptorLimit() {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, 4500u) << "hard RLIMIT_NOFILE too low for this test";
}

// `count` non-blocking connections to 127.0.0.1:port, each sent `request` (may be empty).
// Connections the server does not complete within 5 s are dropped (the old server let
// them wait in the backlog); the caller compares the size.
std::vector<int> OpenConnections(int port, int count, const std::string& request) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<pollfd> pending;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
      close(fd);
      continue;
    }
    pending.push_back({fd, POLLOUT, 0});
  }
  std::vector<int> connected;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!pending.empty() && Clock::now() < deadline) {
    poll(pending.data(), pending.size(), 100);
    std::vector<pollfd> still;
    for (pollfd p : pending) {
      if (p.revents == 0) {
        still.push_back({p.fd, POLLOUT, 0});
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0 && (request.empty() || send(p.fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                                              static_cast<ssize_t>(request.size()))) {
        connected.push_back(p.fd);
      } else {
        close(p.fd);
      }
    }
    pending.swap(still);
  }
  for (pollfd p : pending) close(p.fd);
  return connected;
}

// What the server sent on `fd` until it closed, or until `wait` passed; *closed says which.
std::string ReadUntilClosed(int fd, std::chrono::milliseconds wait, bool* closed) {
  std::string got;
  *closed = false;
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (poll(&p, 1, std::max(left, 1)) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      *closed = true;
      break;
    }
  }
  return got;
}

void CloseAll(std::vector<int>* fds) {
  for (int fd : *fds) close(fd);
  fds->clear();
}

class SlowClientsTest : public ::testing::Test {
 protected:
  void StartServices(const std::vector<std::string>& limits) {
    registry_data_ = TempDir();
    repository_data_ = TempDir();
    std::vector<std::string> args = {"--data_dir=" + registry_data_, "--http_port=0", "--grpc_port=0",
                                     std::string("--patient_authority=") + kAuthority};
    args.insert(args.end(), limits.begin(), limits.end());
    registry_ = std::make_unique<Process>("registry/xds-registry", args, registry_data_ + "/ports");
    ASSERT_GT(registry_->http_port(), 0) << "registry did not start";
    args = {"--data_dir=" + repository_data_, "--http_port=0", "--grpc_port=0",
            "--registry_grpc=127.0.0.1:" + std::to_string(registry_->grpc_port()),
            std::string("--repository_unique_id=") + kRepositoryId};
    args.insert(args.end(), limits.begin(), limits.end());
    repository_ = std::make_unique<Process>("repository/xds-repository", args, repository_data_ + "/ports");
    ASSERT_GT(repository_->http_port(), 0) << "repository did not start";
    registry_url_ = "http://127.0.0.1:" + std::to_string(registry_->http_port()) + "/xds/registry";
    repository_url_ = "http://127.0.0.1:" + std::to_string(repository_->http_port()) + "/xds/repository";
  }

  void AddPatient() {
    auto stub = RegistryService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(registry_->grpc_port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    xds::Patient patient;
    patient.set_id(kPatient);
    AddPatientResponse response;
    ASSERT_TRUE(stub->AddPatient(&context, patient, &response).ok());
  }

  // ITI-41 of the fixture's two documents (both with kContent); returns Document01's uniqueId.
  std::string ProvideDocuments() {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(ReadFile("tests/fixtures/iti42/submission_two_docs_folder.xml").c_str()));
    std::vector<pugi::xml_node> repository_slots;  // the repository computes these itself
    std::string unique_id;
    for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='ExtrinsicObject']/*")) {
      std::string slot = n.node().attribute("name").value();
      if (slot == "hash" || slot == "size" || slot == "repositoryUniqueId") repository_slots.push_back(n.node());
      if (unique_id.empty() && std::string(n.node().attribute("identificationScheme").value()) == vocab::kDeUniqueId) {
        unique_id = n.node().attribute("value").value();
      }
    }
    for (pugi::xml_node slot : repository_slots) slot.parent().remove_child(slot);
    std::ostringstream submission;
    doc.document_element().print(submission, "", pugi::format_raw);
    std::string body = std::string("<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs +
                       "\" xmlns:xop=\"" + vocab::kXopNs + "\">" + submission.str();
    std::vector<mime::Attachment> attachments;
    for (const char* id : {"Document01", "Document02"}) {
      std::string cid = std::string(id) + "@slow.example";
      body += std::string("<xds:Document id=\"") + id + "\"><xop:Include href=\"" + mime::CidHref(cid) +
              "\"/></xds:Document>";
      attachments.push_back({cid, "application/octet-stream", kContent});
    }
    body += "</xds:ProvideAndRegisterDocumentSetRequest>";
    http::Response r = PostMtom(repository_url_, vocab::kActionProvideAndRegister, body, attachments);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 2000);
    EXPECT_NE(r.body.find("ResponseStatusType:Success"), std::string::npos) << r.body.substr(0, 2000);
    return unique_id;
  }

  http::Response PostMtom(const std::string& url, const char* action, const std::string& body,
                          const std::vector<mime::Attachment>& attachments) {
    std::string content_type;
    std::string mtom = mime::BuildMtom(http::SoapEnvelope(action, url, body), attachments, action, &content_type);
    http::Client client(*http::ParseUrl(url));  // a new connection, as a new client would open
    auto r = client.Post(content_type, mtom);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::Response{0, "", ""};
  }

  // ITI-18 FindDocuments (Approved, LeafClass) for the fixture's patient, on a new connection.
  absl::StatusOr<http::Response> FindDocuments() {
    std::string query = std::string(
                            "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
                            "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
                            "<query:ResponseOption returnType=\"LeafClass\" returnComposedObjects=\"true\"/>"
                            "<rim:AdhocQuery id=\"") +
                        vocab::kQueryFindDocuments +
                        "\">"
                        "<rim:Slot name=\"$XDSDocumentEntryPatientId\"><rim:ValueList><rim:Value>'" +
                        kPatient +
                        "'</rim:Value></rim:ValueList></rim:Slot>"
                        "<rim:Slot name=\"$XDSDocumentEntryStatus\"><rim:ValueList><rim:Value>('" +
                        vocab::kStatusApproved +
                        "')</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>";
    http::Client client(*http::ParseUrl(registry_url_));
    return client.Post("application/soap+xml; charset=UTF-8",
                       http::SoapEnvelope(vocab::kActionStoredQuery, registry_url_, query));
  }

  http::Response Retrieve(const std::string& unique_id) {
    std::string body = std::string("<xds:RetrieveDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs +
                       "\"><xds:DocumentRequest><xds:RepositoryUniqueId>" + kRepositoryId +
                       "</xds:RepositoryUniqueId><xds:DocumentUniqueId>" + unique_id +
                       "</xds:DocumentUniqueId></xds:DocumentRequest></xds:RetrieveDocumentSetRequest>";
    return PostMtom(repository_url_, vocab::kActionRetrieve, body, {});
  }

  std::string registry_data_, repository_data_, registry_url_, repository_url_;
  std::unique_ptr<Process> registry_, repository_;
};

TEST_F(SlowClientsTest, StalledClientsNeitherBlockOthersNorOutstayTheBodyTimeout) {
  RaiseDescriptorLimit();
  StartServices({"--header_timeout_seconds=3", "--body_timeout_seconds=3"});
  AddPatient();
  const std::string unique_id = ProvideDocuments();
  ASSERT_FALSE(unique_id.empty());

  constexpr int kStalled = 2000;
  const std::string partial =
      "POST /xds/registry HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/soap+xml\r\nContent-Length: 100000\r\n\r\n<";
  const auto stalled_at = Clock::now();
  std::vector<int> registry_stalled = OpenConnections(registry_->http_port(), kStalled, partial);
  std::vector<int> repository_stalled = OpenConnections(repository_->http_port(), kStalled, partial);
  EXPECT_EQ(registry_stalled.size(), static_cast<size_t>(kStalled));
  EXPECT_EQ(repository_stalled.size(), static_cast<size_t>(kStalled));
  std::cout << "stalled connections opened in " << SecondsSince(stalled_at) << " s" << std::endl;

  auto start = Clock::now();
  absl::StatusOr<http::Response> found = FindDocuments();
  double seconds = SecondsSince(start);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->status, 200);
  RegistryResult result = ParseRegistryResult(found->body);
  EXPECT_EQ(result.status, "Success") << result.body.substr(0, 2000);
  EXPECT_NE(result.body.find(unique_id), std::string::npos) << result.body.substr(0, 2000);
  EXPECT_LT(seconds, 1.0) << "ITI-18 beside stalled clients";
  std::cout << "ITI-18 answered in " << seconds << " s" << std::endl;

  start = Clock::now();
  http::Response retrieved = Retrieve(unique_id);
  seconds = SecondsSince(start);
  EXPECT_EQ(retrieved.status, 200);
  EXPECT_NE(retrieved.body.find("ResponseStatusType:Success"), std::string::npos) << retrieved.body.substr(0, 2000);
  EXPECT_NE(retrieved.body.find(kContent), std::string::npos) << "the document is not in the ITI-43 answer";
  EXPECT_LT(seconds, 1.0) << "ITI-43 beside stalled clients";
  std::cout << "ITI-43 answered in " << seconds << " s" << std::endl;
  if (!registry_stalled.empty() && SecondsSince(stalled_at) < 2.0) {  // closed by the timeout, not at once
    pollfd p{registry_stalled.front(), POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 0), 0) << "a stalled connection was closed before the body timeout";
  }

  // 3 s of body timeout after the header (sent at once) plus a margin for 4,000 timers.
  const auto closed_by = stalled_at + std::chrono::seconds(7);
  for (std::vector<int>* fds : {&registry_stalled, &repository_stalled}) {
    int open = 0;
    for (int fd : *fds) {
      bool closed = false;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(closed_by - Clock::now());
      ReadUntilClosed(fd, std::max(left, std::chrono::milliseconds(1)), &closed);
      open += !closed;
    }
    EXPECT_EQ(open, 0) << "stalled connections still open " << SecondsSince(stalled_at) << " s after they stalled";
    std::cout << "stalled connections closed " << SecondsSince(stalled_at) << " s after they stalled" << std::endl;
    CloseAll(fds);
  }
  EXPECT_TRUE(registry_->Running());
  EXPECT_TRUE(repository_->Running());
}

TEST_F(SlowClientsTest, ConnectionsBeyondTheLimitGet503AndTheServiceRecovers) {
  StartServices({"--max_connections=50", "--header_timeout_seconds=30"});
  AddPatient();

  std::vector<int> idle = OpenConnections(registry_->http_port(), 60, "");
  ASSERT_EQ(idle.size(), 60u);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // refusals are sent at once
  int refused = 0;
  for (int fd : idle) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) continue;  // one of the 50 admitted, waiting for its request
    bool closed = false;
    std::string got = ReadUntilClosed(fd, std::chrono::seconds(2), &closed);
    ++refused;
    EXPECT_TRUE(closed);
    EXPECT_EQ(got.rfind("HTTP/1.1 503", 0), 0u) << got;
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
    EXPECT_NE(got.find("<s:Value>s:Receiver</s:Value>"), std::string::npos) << got;
    EXPECT_NE(got.find("connection limit"), std::string::npos) << got;
  }
  EXPECT_EQ(refused, 10);
  CloseAll(&idle);

  // The server notices the closed sockets asynchronously: allow it a moment.
  absl::StatusOr<http::Response> found;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  do {
    found = FindDocuments();
  } while ((!found.ok() || found->status != 200) && Clock::now() < deadline);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->status, 200) << found->body.substr(0, 2000);
  EXPECT_EQ(ParseRegistryResult(found->body).status, "Success");
}

// SIGTERM with keep-alive clients connected ends the service promptly. Shutdown once
// deadlocked when it held the last reference to a session that another thread had just
// closed (the session's destructor took the lock Shutdown held): 4 of these 30 rounds
// hung before the fix.
TEST(ShutdownTest, StopsPromptlyWithKeepAliveClientsConnected) {
  const std::string query =
      std::string(
          "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
          "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
          "<query:ResponseOption returnType=\"ObjectRef\"/><rim:AdhocQuery id=\"") +
      vocab::kQueryFindDocuments +
      "\"><rim:Slot name=\"$XDSDocumentEntryPatientId\"><rim:ValueList>"
      "<rim:Value>'" +
      kPatient +
      "'</rim:Value></rim:ValueList></rim:Slot>"
      "<rim:Slot name=\"$XDSDocumentEntryStatus\"><rim:ValueList><rim:Value>('" +
      vocab::kStatusApproved + "')</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>";
  for (int round = 0; round < 30; ++round) {
    std::string data = TempDir();
    Process registry(
        "registry/xds-registry",
        {"--data_dir=" + data, "--http_port=0", "--grpc_port=0", std::string("--patient_authority=") + kAuthority},
        data + "/ports");
    ASSERT_GT(registry.http_port(), 0) << "registry did not start";
    std::string url = "http://127.0.0.1:" + std::to_string(registry.http_port()) + "/xds/registry";
    std::string envelope = http::SoapEnvelope(vocab::kActionStoredQuery, url, query);
    std::string request =
        "POST /xds/registry HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/soap+xml; charset=UTF-8\r\nContent-Length: " +
        std::to_string(envelope.size()) + "\r\n\r\n" + envelope;
    std::vector<int> clients = OpenConnections(registry.http_port(), 4, request);
    ASSERT_EQ(clients.size(), 4u);
    for (int fd : clients) {  // each has its answer and stays open, idle, as keep-alive clients do
      char buffer[4096];
      pollfd p{fd, POLLIN, 0};
      ASSERT_EQ(poll(&p, 1, 5000), 1) << "no answer in round " << round;
      ASSERT_GT(read(fd, buffer, sizeof(buffer)), 0);
    }
    EXPECT_TRUE(registry.Stop(std::chrono::seconds(10))) << "still running 10 s after SIGTERM, round " << round;
    for (int fd : clients) close(fd);
  }
}

}  // namespace
}  // namespace xds::testing
