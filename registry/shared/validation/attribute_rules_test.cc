#include "registry/shared/validation/attribute_rules.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "registry/shared/validation/model_access.h"

namespace xds::validation {
namespace {

constexpr char kHeader[] = "object\tattribute\tds41\tdr42\tcardinality\ttype\tencoding\tmax_length\tallowed\ttf_ref\n";

TEST(AttributeRulesTest, EmbeddedTableParses) {
  const auto& rules = MetadataAttributeRules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  std::set<std::string> objects;
  for (const AttributeRule& rule : *rules) objects.insert(rule.object);
  EXPECT_EQ(objects, (std::set<std::string>{"Association", "DocumentEntry", "Folder", "SubmissionSet"}));
  EXPECT_GT(rules->size(), 50u);
}

// Every row must reach a model field, or the validator would silently skip it.
TEST(AttributeRulesTest, EveryRowHasAModelAccessor) {
  const auto& rules = MetadataAttributeRules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  for (const AttributeRule& rule : *rules) {
    bool found = false;
    if (rule.object == "DocumentEntry") found = DocumentEntryAccessors().count(rule.attribute) > 0;
    if (rule.object == "SubmissionSet") found = SubmissionSetAccessors().count(rule.attribute) > 0;
    if (rule.object == "Folder") found = FolderAccessors().count(rule.attribute) > 0;
    if (rule.object == "Association") found = AssociationAccessors().count(rule.attribute) > 0;
    EXPECT_TRUE(found) << rule.object << "." << rule.attribute;
  }
}

TEST(AttributeRulesTest, RepositoryAttributesDifferBetweenColumns) {
  const auto& rules = MetadataAttributeRules();
  ASSERT_TRUE(rules.ok());
  std::set<std::string> differ;
  for (const AttributeRule& rule : *rules) {
    if (rule.ds41 != rule.dr42) differ.insert(rule.object + "." + rule.attribute);
  }
  EXPECT_EQ(differ,
            (std::set<std::string>{"DocumentEntry.hash", "DocumentEntry.repositoryUniqueId", "DocumentEntry.size"}));
}

TEST(AttributeRulesTest, ParsesAllColumns) {
  auto rules = ParseAttributeRules(absl::StrCat("# comment\n", kHeader,
                                                "Folder\ttitle\tR\tR2\t0..n\tDTM\tSlot\t12\tA|B\tTF-3 x\n",
                                                "Folder\tcodeList\tO\tX\t1\tCode\tClassification\t\t\tTF-3 y\r\n"));
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 2u);
  const AttributeRule& a = (*rules)[0];
  EXPECT_EQ(a.object, "Folder");
  EXPECT_EQ(a.attribute, "title");
  EXPECT_EQ(a.ds41, Optionality::kRequired);
  EXPECT_EQ(a.dr42, Optionality::kRequiredIfKnown);
  EXPECT_EQ(a.min_count, 0);
  EXPECT_EQ(a.max_count, -1);
  EXPECT_EQ(a.type, ValueType::kDtm);
  EXPECT_EQ(a.encoding, Encoding::kSlot);
  EXPECT_EQ(a.max_length, 12u);
  EXPECT_EQ(a.allowed, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(a.tf_ref, "TF-3 x");
  const AttributeRule& b = (*rules)[1];
  EXPECT_EQ(b.dr42, Optionality::kProhibited);
  EXPECT_EQ(b.max_count, 1);
  EXPECT_EQ(b.max_length, 0u);
  EXPECT_TRUE(b.allowed.empty());
  EXPECT_EQ(b.tf_ref, "TF-3 y");
}

TEST(AttributeRulesTest, RejectsMalformedTables) {
  EXPECT_FALSE(ParseAttributeRules("").ok());
  EXPECT_FALSE(ParseAttributeRules("object\tattribute\n").ok());
  const std::string row = "Folder\ttitle\tR\tR\t1\tString\tName\t\t\tref\n";
  ASSERT_TRUE(ParseAttributeRules(absl::StrCat(kHeader, row)).ok());
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, row, row)).ok()) << "duplicate row";
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, "Folder\ttitle\tR\tR\t1\tString\tName\t\tref\n")).ok());
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, "Folder\ttitle\tQ\tR\t1\tString\tName\t\t\tref\n")).ok());
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, "Folder\ttitle\tR\tR\t2..1\tString\tName\t\t\tref\n")).ok());
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, "Folder\ttitle\tR\tR\t1\tText\tName\t\t\tref\n")).ok());
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, "Folder\ttitle\tR\tR\t1\tString\tXml\t\t\tref\n")).ok());
  EXPECT_FALSE(ParseAttributeRules(absl::StrCat(kHeader, "Folder\ttitle\tR\tR\t1\tString\tName\tx\t\tref\n")).ok());
  auto status = ParseAttributeRules(absl::StrCat(kHeader, row, "Folder\tuniqueId\tR\n")).status();
  EXPECT_NE(status.message().find("line 3"), std::string::npos) << status;
}

}  // namespace
}  // namespace xds::validation
