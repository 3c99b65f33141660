#include "repository/iti41_provide_and_register.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "registry/shared/ebrim/document_set_codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/mime/base64.h"
#include "registry/shared/model/errors.h"

namespace xds {
namespace {

constexpr char kRepositoryId[] = "1.2.3.4.5.8.1";

// A registry whose answers the test scripts.
class FakeRegistry : public RegistryClient {
 public:
  absl::StatusOr<RegistryResponse> Register(const Submission& submission, const std::string& on_behalf_of) override {
    ++register_calls;
    last = submission;
    last_on_behalf_of = on_behalf_of;
    if (!register_status.ok()) return register_status;
    return register_response;
  }
  absl::StatusOr<std::vector<DocumentEntry>> GetDocumentsByUniqueId(const std::vector<std::string>&) override {
    if (!query_status.ok()) return query_status;
    return registered;
  }
  absl::StatusOr<AccessDecisionResponse> AccessDecision(const AccessDecisionRequest&) override {
    return absl::UnimplementedError("not used by ITI-41");
  }
  absl::Status WatchPolicy(const std::function<void(const PolicyGeneration&)>&) override {
    return absl::UnimplementedError("not used by ITI-41");
  }
  void StopWatching() override {}
  int register_calls = 0;
  Submission last;
  std::string last_on_behalf_of;
  absl::Status register_status;
  RegistryResponse register_response = SuccessResponse();
  absl::Status query_status;
  std::vector<DocumentEntry> registered;
};

std::string ExtrinsicObject(const std::string& id, const std::string& uid, const std::string& extra_slots = "") {
  return "<rim:ExtrinsicObject id=\"" + id + "\" mimeType=\"text/plain\" objectType=\"" + vocab::kDocumentEntryStable +
         "\">" + extra_slots + "<rim:ExternalIdentifier id=\"ei" + id + "\" registryObject=\"" + id +
         "\" identificationScheme=\"" + vocab::kDeUniqueId + "\" value=\"" + uid + "\"/></rim:ExtrinsicObject>";
}

std::string Slot(const std::string& name, const std::string& value) {
  return "<rim:Slot name=\"" + name + "\"><rim:ValueList><rim:Value>" + value +
         "</rim:Value></rim:ValueList></rim:Slot>";
}

// An ITI-41 body with the given ExtrinsicObjects and inline documents (id -> content).
std::string Request(const std::string& objects, const std::vector<std::pair<std::string, std::string>>& documents) {
  std::string xml = std::string("<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds=\"") + vocab::kXdsNs +
                    "\" xmlns:lcm=\"" + vocab::kLcmNs + "\" xmlns:rim=\"" + vocab::kRimNs +
                    "\"><lcm:SubmitObjectsRequest><rim:RegistryObjectList>" + objects +
                    "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>";
  for (const auto& [id, content] : documents) {
    xml += "<xds:Document id=\"" + id + "\">" + EncodeBase64(content) + "</xds:Document>";
  }
  return xml + "</xds:ProvideAndRegisterDocumentSetRequest>";
}

std::vector<std::string> Codes(const RegistryResponse& r) {
  std::vector<std::string> codes;
  for (const auto& e : r.errors()) codes.push_back(e.code());
  return codes;
}

class ProvideAndRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    const char* base = std::getenv("TEST_TMPDIR");
    dir_ = std::string(base ? base : "/tmp") + "/iti41_" + std::to_string(++n);
    std::filesystem::remove_all(dir_);
    store_ = std::move(*OpenFileDocumentStore(dir_));
    ProvideAndRegisterOptions options;
    options.repository_unique_id = kRepositoryId;
    options.reconcile_retry = absl::Milliseconds(20);
    service_ = std::make_unique<ProvideAndRegisterService>(store_.get(), &registry_, options);
  }

  RegistryResponse Send(const std::string& body_xml) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(body_xml.c_str()));
    mime::Multipart none;
    outcome_ = CallOutcome();
    return service_->ProvideAndRegister(ebrim::ParseProvideAndRegisterRequest(doc.document_element(), none),
                                        "2.999.7.1", outcome_);
  }

  int Files() {
    int n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/documents")) n += e.is_regular_file();
    return n;
  }

  bool NothingStored() { return Files() == 0 && store_->Pending()->empty(); }

  std::string dir_;
  FakeRegistry registry_;
  std::unique_ptr<DocumentStore> store_;
  std::unique_ptr<ProvideAndRegisterService> service_;
  CallOutcome outcome_;  // of the last Send
};

TEST_F(ProvideAndRegisterTest, AddsRepositoryAttributesAndCommits) {
  RegistryResponse r =
      Send(Request(ExtrinsicObject("Doc1", "1.1", Slot("repositoryUniqueId", "9.9.9")) + ExtrinsicObject("Doc2", "1.2"),
                   {{"Doc1", "first"}, {"Doc2", "second"}}));
  EXPECT_EQ(r.status(), SUCCESS) << r.DebugString();
  ASSERT_EQ(registry_.last.document_entries_size(), 2);
  const DocumentEntry& de = registry_.last.document_entries(0);
  EXPECT_EQ(de.repository_unique_id(), kRepositoryId);  // replaced
  EXPECT_EQ(de.hash(), Sha1Hex("first"));
  EXPECT_EQ(de.size(), 5);
  auto found = store_->Lookup("1.2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*store_->Read(**found))->data(), "second");
}

TEST_F(ProvideAndRegisterTest, ReportsEveryMetadataProblemAndStoresNothing) {
  RegistryResponse r =
      Send(Request(ExtrinsicObject("Doc1", "1.1", Slot("hash", "0000000000000000000000000000000000000000")) +
                       ExtrinsicObject("Doc2", "1.2", Slot("size", "99")) + ExtrinsicObject("Doc3", "1.3") +
                       ExtrinsicObject("Doc4", "1.2"),
                   {{"Doc1", "a"}, {"Doc2", "b"}, {"Doc4", "d"}, {"Stray", "s"}}));
  EXPECT_EQ(r.status(), FAILURE);
  std::vector<std::string> codes = Codes(r);
  auto count = [&](const char* c) { return std::count(codes.begin(), codes.end(), c); };
  EXPECT_EQ(count("XDSRepositoryMetadataError"), 2) << r.DebugString();
  EXPECT_EQ(count("XDSMissingDocument"), 1);
  EXPECT_EQ(count("XDSMissingDocumentMetadata"), 1);
  EXPECT_EQ(count("XDSRepositoryDuplicateUniqueIdInMessage"), 1);
  EXPECT_EQ(registry_.register_calls, 0);
  EXPECT_TRUE(NothingStored());
}

TEST_F(ProvideAndRegisterTest, UpperCaseHashMatches) {
  std::string hash = Sha1Hex("x");
  for (char& c : hash) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(Send(Request(ExtrinsicObject("Doc1", "1.1", Slot("hash", hash)), {{"Doc1", "x"}})).status(), SUCCESS);
}

TEST_F(ProvideAndRegisterTest, RegistryRefusalIsCopiedAndNothingKept) {
  registry_.register_response.set_status(FAILURE);
  RegistryError* e = registry_.register_response.add_errors();
  e->set_code("XDSUnknownPatientId");
  e->set_context("who?");
  RegistryResponse r = Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}}));
  EXPECT_EQ(r.status(), FAILURE);
  EXPECT_EQ(Codes(r), std::vector<std::string>{"XDSUnknownPatientId"});
  EXPECT_TRUE(NothingStored());
}

TEST_F(ProvideAndRegisterTest, UnreachableRegistry) {
  registry_.register_status = absl::UnavailableError("connection refused by 10.0.0.7:8011");
  RegistryResponse r = Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}}));
  EXPECT_EQ(Codes(r), std::vector<std::string>{"XDSRegistryNotAvailable"});
  EXPECT_EQ(r.errors(0).context().find("10.0.0.7"), std::string::npos) << r.errors(0).context();
  EXPECT_TRUE(NothingStored());
  // The detail is the log's: the documents and the registry's status.
  EXPECT_FALSE(outcome_.ok);
  EXPECT_EQ(outcome_.error_code, "XDSRegistryNotAvailable");
  EXPECT_NE(outcome_.detail.find("document 1.1"), std::string::npos) << outcome_.detail;
  EXPECT_NE(outcome_.detail.find("10.0.0.7:8011"), std::string::npos) << outcome_.detail;
}

TEST_F(ProvideAndRegisterTest, DeadlineNotResolvedSaysTheOutcomeIsUnknown) {
  registry_.register_status = absl::DeadlineExceededError("slow at 10.0.0.7:8011");
  registry_.query_status = absl::UnavailableError("down");
  RegistryResponse r = Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}}));
  EXPECT_EQ(Codes(r), std::vector<std::string>{"XDSRegistryNotAvailable"});
  EXPECT_EQ(r.errors(0).context().find("10.0.0.7"), std::string::npos) << r.errors(0).context();
  EXPECT_NE(outcome_.detail.find("DEADLINE_EXCEEDED"), std::string::npos) << outcome_.detail;
  EXPECT_FALSE(store_->Lookup("1.1")->has_value());  // pending, invisible, until the registry answers
  EXPECT_EQ(service_->unresolved(), 1u);
}

TEST_F(ProvideAndRegisterTest, DeadlineResolvedByAskingTheRegistry) {
  registry_.register_status = absl::DeadlineExceededError("slow");
  DocumentEntry de;
  de.set_unique_id("1.1");
  de.set_repository_unique_id(kRepositoryId);
  de.set_hash(Sha1Hex("x"));
  registry_.registered.push_back(de);
  RegistryResponse r = Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}}));
  EXPECT_EQ(r.status(), SUCCESS) << r.DebugString();
  EXPECT_TRUE(store_->Lookup("1.1")->has_value());
}

TEST_F(ProvideAndRegisterTest, SameUniqueIdWithOtherContentIsRefused) {
  ASSERT_EQ(Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}})).status(), SUCCESS);
  RegistryResponse r = Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "y"}}));
  EXPECT_EQ(Codes(r), std::vector<std::string>{"XDSNonIdenticalHash"});
  // Identical content is no conflict (P7) and the committed document stays.
  EXPECT_EQ(Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}})).status(), SUCCESS);
  registry_.register_status = absl::UnavailableError("down");
  Send(Request(ExtrinsicObject("Doc1", "1.1"), {{"Doc1", "x"}}));
  EXPECT_TRUE(store_->Lookup("1.1")->has_value());
}

TEST_F(ProvideAndRegisterTest, RecoveryCommitsRegisteredAndAbortsTheRest) {
  ASSERT_TRUE(store_->Stage({"reg", "text/plain", "r", ""}).ok());
  ASSERT_TRUE(store_->Stage({"lost", "text/plain", "l", ""}).ok());
  ASSERT_TRUE(store_->Stage({"other-repo", "text/plain", "o", ""}).ok());
  DocumentEntry de;
  de.set_unique_id("reg");
  de.set_repository_unique_id(kRepositoryId);
  de.set_hash(Sha1Hex("r"));
  registry_.registered.push_back(de);
  de.set_unique_id("other-repo");
  de.set_repository_unique_id("7.7.7");
  de.set_hash(Sha1Hex("o"));
  registry_.registered.push_back(de);
  EXPECT_EQ(service_->RecoverAtStartup(), 0u);
  EXPECT_TRUE(store_->Lookup("reg")->has_value());
  EXPECT_FALSE(store_->Find("lost")->has_value());
  EXPECT_FALSE(store_->Find("other-repo")->has_value());
  EXPECT_EQ(Files(), 1);
}

TEST_F(ProvideAndRegisterTest, RecoveryRetriesInTheBackground) {
  ASSERT_TRUE(store_->Stage({"reg", "text/plain", "r", ""}).ok());
  registry_.query_status = absl::UnavailableError("down");
  EXPECT_EQ(service_->RecoverAtStartup(), 1u);
  EXPECT_FALSE(store_->Lookup("reg")->has_value());  // hidden while undecided
  DocumentEntry de;
  de.set_unique_id("reg");
  de.set_repository_unique_id(kRepositoryId);
  de.set_hash(Sha1Hex("r"));
  registry_.registered.push_back(de);
  registry_.query_status = absl::OkStatus();
  for (int i = 0; i < 200 && service_->unresolved() > 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(service_->unresolved(), 0u);
  EXPECT_TRUE(store_->Lookup("reg")->has_value());
}

}  // namespace
}  // namespace xds
