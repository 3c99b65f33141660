// The validator on real messages, parsed by the ebRIM codec: the project's ITI-42 fixture and
// the IHE sample Register Document Set-b request (read from the shared reference folder,
// skipped when it is absent).
#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "gtest/gtest.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/validation/metadata_validator.h"

namespace xds {
namespace {

std::string SharedDir() {
  const char* env = std::getenv("XDS_SHARED");
  return env != nullptr && *env != '\0' ? env : "/work/shared";
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string Dump(const std::vector<RegistryError>& errors) {
  std::string out;
  for (const RegistryError& e : errors) out += e.code() + " @" + e.location() + ": " + e.context() + "\n";
  return out;
}

Submission Parse(const std::string& path) {
  pugi::xml_document doc;
  pugi::xml_parse_result result = doc.load_file(path.c_str());
  EXPECT_TRUE(result) << path << ": " << result.description();
  pugi::xml_node root = doc.document_element();
  // The IHE samples may wrap the body in a SOAP envelope; find the SubmitObjectsRequest.
  pugi::xml_node request = root.find_node([](pugi::xml_node n) {
    const std::string name = n.name();
    return name.size() >= 19 && name.compare(name.size() - 19, 19, "SubmitObjectsRequest") == 0;
  });
  if (!request) request = root;
  ebrim::ParsedSubmission parsed = ebrim::ParseSubmitObjectsRequest(request);
  EXPECT_TRUE(parsed.errors.empty()) << Dump(parsed.errors);
  return parsed.submission;
}

TEST(ConformanceTest, ProjectFixtureIsValidIti42) {
  const Submission s = Parse("tests/fixtures/iti42/submission_two_docs_folder.xml");
  ASSERT_EQ(s.submission_sets_size(), 1);
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  EXPECT_TRUE(errors.empty()) << Dump(errors);
  EXPECT_TRUE(ExternalReferences(s).empty());
}

// The IHE sample is what a Document Source sends: valid for DS/41, and under DR/42 it lacks
// exactly the three attributes a repository adds.
TEST(ConformanceTest, IheRegisterDocumentSetSample) {
  const std::string path =
      SharedDir() + "/conformance/other/ihe-iti-info/examples/XDS.b/RegisterDocumentSet-bRequest.xml";
  if (!Exists(path)) GTEST_SKIP() << "IHE sample not found at " << path << " (set XDS_SHARED)";
  const Submission s = Parse(path);
  ASSERT_EQ(s.submission_sets_size(), 1);
  ValidationOptions ds41;
  ds41.require_repository_attributes = false;
  const std::vector<RegistryError> source_errors = ValidateSubmission(s, ds41);
  EXPECT_TRUE(source_errors.empty()) << Dump(source_errors);
  const std::vector<RegistryError> errors = ValidateSubmission(s, ValidationOptions());
  std::string missing;
  for (const RegistryError& e : errors) {
    EXPECT_EQ(e.code(), "XDSRegistryMetadataError");
    missing += e.context() + "\n";
  }
  EXPECT_EQ(errors.size(), 3u) << missing;
  for (const char* attribute : {"hash", "size", "repositoryUniqueId"}) {
    EXPECT_NE(missing.find(std::string("required attribute ") + attribute + " is missing"), std::string::npos)
        << missing;
  }
}

}  // namespace
}  // namespace xds
