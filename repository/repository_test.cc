#include "repository/repository.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "registry/shared/model/errors.h"

namespace xds {
namespace {

constexpr char kRepositoryId[] = "1.2.3.4.5.8.1";

// A registry that accepts every submission.
// Its access decision permits every document but those in `denied`.
class AcceptingRegistry : public RegistryClient {
 public:
  explicit AcceptingRegistry(std::set<std::string> denied = {}) : denied_(std::move(denied)) {}
  absl::StatusOr<RegistryResponse> Register(const Submission&, const std::string&) override {
    return SuccessResponse();
  }
  absl::StatusOr<std::vector<DocumentEntry>> GetDocumentsByUniqueId(const std::vector<std::string>&) override {
    return std::vector<DocumentEntry>{};
  }
  absl::StatusOr<AccessDecisionResponse> AccessDecision(const AccessDecisionRequest& request) override {
    AccessDecisionResponse response;
    response.set_enforced(true);
    for (const std::string& uid : request.document_unique_ids()) {
      if (!denied_.count(uid)) response.add_permitted_unique_ids(uid);
    }
    return response;
  }
  absl::Status WatchPolicy(const std::function<void(const PolicyGeneration&)>&) override {
    return absl::UnavailableError("no policy stream here");
  }
  void StopWatching() override {}

 private:
  std::set<std::string> denied_;
};

DocumentRequest Request(const std::string& repository, const std::string& uid, const std::string& home = "") {
  DocumentRequest request;
  request.set_home_community_id(home);
  request.set_repository_unique_id(repository);
  request.set_document_unique_id(uid);
  return request;
}

std::vector<std::string> Codes(const RegistryResponse& response) {
  std::vector<std::string> codes;
  for (const RegistryError& e : response.errors()) codes.push_back(e.code() + "@" + e.location());
  return codes;
}

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir =
        ::testing::TempDir() + "repository_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir);
    RepositoryOptions options;
    options.provide_and_register.repository_unique_id = kRepositoryId;
    options.retrieve.repository_unique_id = kRepositoryId;
    options.retrieve.home_community_id = "urn:oid:1.2.3";
    repository_ = std::make_unique<Repository>(std::move(*OpenFileDocumentStore(dir)),
                                               std::make_unique<AcceptingRegistry>(denied_), options);
  }

  // Provides one text/plain document through the model, as the SOAP endpoint would.
  RegistryResponse Provide(const std::string& uid, const std::string& content) {
    ProvideAndRegisterRequest request;
    DocumentEntry* entry = request.submission.add_document_entries();
    entry->mutable_header()->set_entry_uuid("Doc1");
    entry->set_unique_id(uid);
    entry->set_mime_type("text/plain");
    request.decoded.push_back(content);
    request.documents["Doc1"] = request.decoded.back();
    return *repository_->ProvideAndRegister(context_, std::move(request));
  }

  CallContext context_;
  std::set<std::string> denied_;  // by the registry's access decision
  std::unique_ptr<Repository> repository_;
};

class DeniedDocumentTest : public RepositoryTest {
 protected:
  void SetUp() override {
    denied_ = {"1.2.3.2"};
    RepositoryTest::SetUp();
  }
};

// Issue 16: a document the access decision denies is answered exactly like one the
// repository does not hold, on ITI-43 and on the internal retrieval.
TEST_F(DeniedDocumentTest, IsAnsweredLikeAnUnknownOne) {
  ASSERT_EQ(Provide("1.2.3.1", "shown").status(), SUCCESS);
  ASSERT_EQ(Provide("1.2.3.2", "hidden").status(), SUCCESS);
  RetrieveDocumentSetRequest request;
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.1");
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.2");
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.3");
  RetrieveResult result = *repository_->Retrieve(context_, request);
  EXPECT_EQ(result.response.response().status(), PARTIAL_SUCCESS);
  ASSERT_EQ(result.response.document_responses_size(), 1);
  EXPECT_EQ(result.response.document_responses(0).document_unique_id(), "1.2.3.1");
  const RegistryResponse& r = result.response.response();
  ASSERT_EQ(r.errors_size(), 2);
  EXPECT_EQ(r.errors(0).code(), r.errors(1).code());
  EXPECT_EQ(r.errors(0).code(), "XDSDocumentUniqueIdError");
  // Same text but for the id: nothing tells a hidden document from a missing one.
  std::string hidden = r.errors(0).context(), missing = r.errors(1).context();
  hidden.replace(hidden.find("1.2.3.2"), 7, "ID");
  missing.replace(missing.find("1.2.3.3"), 7, "ID");
  EXPECT_EQ(hidden, missing);

  auto one = repository_->RetrieveDocument(context_, "1.2.3.2");
  EXPECT_EQ(one.status().code(), absl::StatusCode::kNotFound);
  std::string message(one.status().message());
  std::string unknown(repository_->RetrieveDocument(context_, "1.2.3.3").status().message());
  message.replace(message.find("1.2.3.2"), 7, "ID");
  unknown.replace(unknown.find("1.2.3.3"), 7, "ID");
  EXPECT_EQ(message, unknown);
}

TEST_F(RepositoryTest, ProvidedDocumentsAreRetrievedBothWays) {
  ASSERT_EQ(Provide("1.2.3.1", "hello").status(), SUCCESS);

  RetrieveDocumentSetRequest request;
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.1");
  RetrieveResult result = *repository_->Retrieve(context_, request);
  EXPECT_EQ(result.response.response().status(), SUCCESS);
  ASSERT_EQ(result.response.document_responses_size(), 1);
  const DocumentResponse& document = result.response.document_responses(0);
  EXPECT_EQ(document.home_community_id(), "urn:oid:1.2.3");  // the configured one
  EXPECT_EQ(document.repository_unique_id(), kRepositoryId);
  EXPECT_EQ(document.document_unique_id(), "1.2.3.1");
  EXPECT_EQ(document.mime_type(), "text/plain");
  ASSERT_EQ(result.contents.size(), 1u);
  EXPECT_EQ(result.contents[0]->data(), "hello");

  auto one = repository_->RetrieveDocument(context_, "1.2.3.1");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->content->data(), "hello");
  EXPECT_EQ(one->document.size, 5);
  EXPECT_EQ(repository_->RetrieveDocument(context_, "1.2.3.404").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RepositoryTest, EveryMissIsAnErrorAtItsUniqueId) {
  ASSERT_EQ(Provide("1.2.3.1", "hello").status(), SUCCESS);
  RetrieveDocumentSetRequest request;
  *request.add_document_requests() = Request("9.9.9", "1.2.3.1");
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.404");
  *request.add_document_requests() = Request(kRepositoryId, "");
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.1", "urn:oid:9.9");
  *request.add_document_requests() = Request(kRepositoryId, "1.2.3.1", "urn:oid:1.2.3");
  RetrieveResult result = *repository_->Retrieve(context_, request);
  EXPECT_EQ(result.response.response().status(), PARTIAL_SUCCESS);
  EXPECT_EQ(Codes(result.response.response()),
            (std::vector<std::string>{"XDSUnknownRepositoryId@1.2.3.1", "XDSDocumentUniqueIdError@1.2.3.404",
                                      "XDSDocumentUniqueIdError@", "XDSUnknownCommunity@1.2.3.1"}));
  EXPECT_EQ(result.response.document_responses_size(), 1);
}

TEST_F(RepositoryTest, NothingToAnswerIsAFailure) {
  RetrieveResult empty = *repository_->Retrieve(context_, RetrieveDocumentSetRequest());
  EXPECT_EQ(empty.response.response().status(), FAILURE);
  EXPECT_EQ(Codes(empty.response.response()), std::vector<std::string>{"XDSRepositoryError@"});

  // What the codec could not decode is the answer.
  RetrieveResult undecodable = *repository_->Retrieve(context_, RetrieveDocumentSetRequest(),
                                                      {MakeError(err::kRepositoryError, "not a request")});
  EXPECT_EQ(undecodable.response.response().status(), FAILURE);
  ASSERT_EQ(undecodable.response.response().errors_size(), 1);
  EXPECT_EQ(undecodable.response.response().errors(0).context(), "not a request");
}

TEST_F(RepositoryTest, DecodingErrorsStopTheSubmission) {
  ProvideAndRegisterRequest request;
  request.errors.push_back(MakeError(err::kRepositoryMetadataError, "broken"));
  RegistryResponse response = *repository_->ProvideAndRegister(context_, std::move(request));
  EXPECT_EQ(response.status(), FAILURE);
  EXPECT_EQ(Codes(response), std::vector<std::string>{"XDSRepositoryMetadataError@"});
}

}  // namespace
}  // namespace xds
