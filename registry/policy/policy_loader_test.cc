// The domain policy file: the examples load, malformed files are refused naming the field,
// and no input crashes the loader.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "registry/policy/policy.h"

namespace xds::policy {
namespace {

// Tests run from the runfiles root.
constexpr char kExampleFile[] = "deploy/policy.example.json";
constexpr char kReadme[] = "registry/policy/README.md";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> JsonBlocks(const std::string& markdown) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = markdown.find("```json\n", pos)) != std::string::npos) {
    pos += 8;
    size_t end = markdown.find("```", pos);
    out.push_back(markdown.substr(pos, end - pos));
    pos = end + 3;
  }
  return out;
}

// ./xds up --secure's demo domain (DESIGN §5): opt-in, an emergency let through.
TEST(PolicyLoaderTest, DemoFileLoads) {
  auto p = LoadDomainPolicy("deploy/policy.demo.json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->consent_model, ConsentModel::kOptIn);
  EXPECT_FALSE(p->treatment_relationship_required);
  EXPECT_EQ(p->break_the_glass.purposes_of_use.count("ETREAT"), 1u);
}

TEST(PolicyLoaderTest, ExampleFileLoads) {
  auto p = LoadDomainPolicy(kExampleFile);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->consent_model, ConsentModel::kOptIn);
  EXPECT_EQ(p->OrganizationCategory("2.999.1.40"), "youth-health");
  EXPECT_EQ(p->OrganizationCategory("2.999.77"), "other");
  EXPECT_TRUE(p->treatment_relationship_required);
  EXPECT_EQ(p->data_category_rules.size(), 7u);
  EXPECT_EQ(p->data_category_rules[0].attribute, CodeAttribute::kConfidentialityCode);
  EXPECT_EQ(p->restricted_confidentiality_codes.count(CodedValue{"R", "2.16.840.1.113883.5.25"}), 1u);
  EXPECT_TRUE(p->break_the_glass.allowed);
  EXPECT_EQ(p->break_the_glass.purposes_of_use.count("ETREAT"), 1u);
  EXPECT_FALSE(p->break_the_glass.overrides_exclusions);
  ASSERT_TRUE(p->bppc.enabled);
  EXPECT_EQ(p->bppc.class_code.code, "57016-8");
  EXPECT_EQ(p->bppc.policies.at("2.999.3.1.3").size(), 4u);
  EXPECT_TRUE(p->bppc.policies.at("2.999.3.1.9").empty());
}

TEST(PolicyLoaderTest, ReadmeExamplesParseAndTheDutchOneIsTheExampleFile) {
  std::vector<std::string> blocks = JsonBlocks(ReadFile(kReadme));
  ASSERT_EQ(blocks.size(), 2u);
  for (const std::string& b : blocks) {
    auto p = ParseDomainPolicy(b);
    EXPECT_TRUE(p.ok()) << p.status();
  }
  EXPECT_EQ(blocks[0], ReadFile(kExampleFile));
  auto belgian = ParseDomainPolicy(blocks[1]);
  ASSERT_TRUE(belgian.ok());
  EXPECT_EQ(belgian->default_data_category, "medical");
  EXPECT_TRUE(belgian->treatment_relationship_required);
}

TEST(PolicyLoaderTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadDomainPolicy("registry/policy/no-such.json").status().code(), absl::StatusCode::kNotFound);
}

TEST(PolicyLoaderTest, MinimalFileTakesTheDocumentedDefaults) {
  auto p = ParseDomainPolicy(R"({"domain": "d", "consent_model": "opt-out"})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->consent_model, ConsentModel::kOptOut);
  EXPECT_EQ(p->default_organization_category, "other");
  EXPECT_EQ(p->default_data_category, "general");
  EXPECT_FALSE(p->treatment_relationship_required);
  EXPECT_FALSE(p->break_the_glass.allowed);
  EXPECT_FALSE(p->bppc.enabled);
  EXPECT_EQ(p->DataCategories(), std::set<std::string>{"general"});
}

struct Malformed {
  const char* json;
  const char* field;  // must appear in the message
};

class PolicyLoaderMalformedTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(PolicyLoaderMalformedTest, RefusedNamingTheField) {
  auto p = ParseDomainPolicy(GetParam().json);
  ASSERT_FALSE(p.ok()) << GetParam().json;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(p.status().message()).find(GetParam().field), std::string::npos) << p.status();
}

#define BASE R"("domain": "d", "consent_model": "opt-in")"
INSTANTIATE_TEST_SUITE_P(
    Files, PolicyLoaderMalformedTest,
    ::testing::Values(
        Malformed{"not json", "not valid JSON"}, Malformed{"", "not valid JSON"},
        Malformed{R"({"domain": "d", "consent_model": "opt-in",})", "not valid JSON"},
        Malformed{"[]", "must be a JSON object"}, Malformed{"{}", "domain: missing"},
        Malformed{R"({"domain": ""})", "domain: must not be empty"},
        Malformed{R"({"domain": 7, "consent_model": "opt-in"})", "domain: must be a string"},
        Malformed{R"({"domain": "d"})", "consent_model: missing"},
        Malformed{R"({"domain": "d", "consent_model": "maybe"})", "consent_model: must be opt-in or opt-out"},
        Malformed{"{" BASE R"(, "consent_modle": "opt-out"})", "consent_modle: unknown field"},
        Malformed{"{" BASE R"(, "organizations": []})", "organizations: must be an object"},
        Malformed{"{" BASE R"(, "organizations": {"members": {"o1": 3}}})", "organizations.members[\"o1\"]"},
        Malformed{"{" BASE R"(, "organizations": {"categories": ["gp"], "members": {"o1": "hospital"}}})",
                  "organizations.members[\"o1\"]: category \"hospital\" is not in organizations.categories"},
        Malformed{"{" BASE R"(, "organizations": {"default_category": "*"}})", "organizations.default_category"},
        Malformed{"{" BASE R"(, "data_categories": {"rules": [{"attribute": "classCode", "code": "A^^s", "category":
                  "x"}, {"attribute": "typeCode", "code": "B", "category": "y"}]}})",
                  "data_categories.rules[1].code: \"B\" is not \"code^^scheme\""},
        Malformed{"{" BASE R"(, "data_categories": {"rules": [{"attribute": "practiceSettingCode", "code": "A^^s",
                  "category": "x"}]}})",
                  "data_categories.rules[0].attribute"},
        Malformed{"{" BASE R"(, "data_categories": {"rules": [{"attribute": "classCode", "code": "A^^s"}]}})",
                  "data_categories.rules[0].category: missing"},
        Malformed{"{" BASE R"(, "data_categories": {"rules": {}}})", "data_categories.rules: must be an array"},
        Malformed{"{" BASE R"(, "treatment_relationship_required": "yes"})",
                  "treatment_relationship_required: must be true or false"},
        Malformed{"{" BASE R"(, "restricted_confidentiality_codes": ["R^^"]})", "restricted_confidentiality_codes[0]"},
        Malformed{"{" BASE R"(, "break_the_glass": {"allowed": true}})", "break_the_glass.purpose_of_use"},
        Malformed{"{" BASE R"(, "break_the_glass": {"purpose_of_use": ["EMERGENCY"]}})",
                  "break_the_glass.allowed: missing"},
        Malformed{"{" BASE R"(, "break_the_glass": {"allowed": false, "overides_exclusions": true}})",
                  "break_the_glass.overides_exclusions: unknown field"},
        Malformed{"{" BASE R"(, "bppc": {"policies": {"1.2": []}}})", "bppc.class_code: missing"},
        Malformed{"{" BASE R"(, "bppc": {"class_code": "57016-8^^2.16.840.1.113883.6.1", "policies": {}}})",
                  "bppc.policies"},
        Malformed{"{" BASE R"(, "bppc": {"class_code": "57016-8^^l", "policies": {"1.2": [{"effect": "allow",
                  "subject": "*"}]}}})",
                  "bppc.policies[\"1.2\"][0].effect"},
        Malformed{"{" BASE R"(, "bppc": {"class_code": "57016-8^^l", "policies": {"1.2": [{"effect": "permit",
                  "subject": "org:x"}]}}})",
                  "bppc.policies[\"1.2\"][0].subject"},
        Malformed{"{" BASE R"(, "bppc": {"class_code": "57016-8^^l", "policies": {"1.2": [{"effect": "permit",
                  "subject": "category:nurses"}]}}})",
                  "unknown organisation category \"nurses\""},
        Malformed{"{" BASE R"(, "bppc": {"class_code": "57016-8^^l", "policies": {"1.2": [{"effect": "permit",
                  "subject": "*", "data_category": "lab"}]}}})",
                  "bppc.policies[\"1.2\"][0].data_category: unknown data category \"lab\""}));
#undef BASE

// Whatever bytes arrive, the loader answers with a value: never a crash or an exception.
TEST(PolicyLoaderFuzzTest, RandomBytesNeverCrash) {
  std::mt19937 rng(16);
  for (int i = 0; i < 20000; ++i) {
    std::string s(std::uniform_int_distribution<int>(0, 256)(rng), '\0');
    for (char& c : s) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    auto p = ParseDomainPolicy(s);
    if (!p.ok()) {
      ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

// Mutations of the real example reach far deeper into the loader than random bytes.
TEST(PolicyLoaderFuzzTest, MutatedExampleNeverCrashes) {
  const std::string example = ReadFile(kExampleFile);
  ASSERT_FALSE(example.empty());
  const std::string tokens[] = {"{",    "}", "[",      "]",     ",",       ":",    "\"",          "null",
                                "true", "0", "-1e999", "\"*\"", "\\u0000", "\xff", "\"opt-out\"", "\"category:\"",
                                "^^"};
  std::mt19937 rng(42);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = example;
    for (int k = 1 + static_cast<int>(pick(4)); k > 0; --k) {
      size_t at = pick(s.size());
      switch (pick(4)) {
        case 0:
          s.erase(at, 1 + pick(8));
          break;
        case 1:
          s.insert(at, tokens[pick(sizeof(tokens) / sizeof(tokens[0]))]);
          break;
        case 2:
          s[at] = static_cast<char>(pick(256));
          break;
        default:
          s.resize(at);
      }
      if (s.empty()) break;
    }
    auto p = ParseDomainPolicy(s);
    if (p.ok()) {
      ++accepted;
    } else {
      ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
    }
  }
  EXPECT_GT(accepted, 0);  // some mutations are harmless (inside a description, say)
}

TEST(PolicyLoaderFuzzTest, DeepNestingIsRefusedNotOverflowed) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  EXPECT_EQ(ParseDomainPolicy(deep).status().code(), absl::StatusCode::kInvalidArgument);
  std::string deep_object = R"({"domain": "d", "consent_model": "opt-in", "description": )" + deep + "}";
  EXPECT_EQ(ParseDomainPolicy(deep_object).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xds::policy
