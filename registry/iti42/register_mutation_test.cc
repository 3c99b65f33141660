// Property test of ITI-42 on damaged input: a valid submission is mutated at random
// (elements and attributes removed, ids swapped, elements duplicated), several hundred
// times with a fixed seed, and each result goes through the codec and Registry::Register
// on a real SQLite store. Whatever the damage: no crash, a Failure stores nothing, and a
// Success stores objects. This drives the registry checks with inputs the content checks
// already refused, since both run for every submission.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "registry/registry.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/store/metadata_store.h"

namespace xds {
namespace {

constexpr char kPatient[] = "P-1^^^&1.2.3.4.5&ISO";  // the fixture's patient

std::string ReadFixture() {
  std::ifstream in("tests/fixtures/iti42/submission_two_docs_folder.xml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Collect(pugi::xml_node node, std::vector<pugi::xml_node>* elements) {
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    elements->push_back(child);
    Collect(child, elements);
  }
}

// One random change to `doc`; returns false when nothing could be changed.
bool Mutate(pugi::xml_document& doc, std::mt19937& rng) {
  std::vector<pugi::xml_node> elements;
  Collect(doc.document_element(), &elements);
  if (elements.size() < 2) return false;
  pugi::xml_node target = elements[1 + rng() % (elements.size() - 1)];
  std::vector<pugi::xml_attribute> attributes;
  for (pugi::xml_attribute a : target.attributes()) attributes.push_back(a);
  switch (rng() % 4) {
    case 0:
      return target.parent().remove_child(target);
    case 1:
      if (attributes.empty()) return false;
      return target.remove_attribute(attributes[rng() % attributes.size()]);
    case 2: {  // an attribute takes the value of another element's attribute (ids get mixed up)
      pugi::xml_node other = elements[rng() % elements.size()];
      pugi::xml_attribute from = other.first_attribute();
      if (attributes.empty() || !from) return false;
      return attributes[rng() % attributes.size()].set_value(from.value());
    }
    default:
      return static_cast<bool>(target.parent().insert_copy_after(target, target));
  }
}

TEST(RegisterMutation, DamagedSubmissionsNeverCrashAndFailuresStoreNothing) {
  std::string fixture = ReadFixture();
  ASSERT_FALSE(fixture.empty()) << "fixture not found";
  SqliteOptions options;
  options.path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/mutation-" +
                 std::to_string(::getpid()) + ".sqlite";
  auto store = OpenSqliteMetadataStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  MetadataStore* metadata = store->get();  // read directly, to see what each call stored
  Registry registry(std::move(*store), RegistryOptions{});
  const CallContext context;
  ASSERT_TRUE(registry.AddPatient(context, kPatient).ok());

  auto total = [metadata] {
    int64_t n = 0;
    for (ObjectKind kind :
         {ObjectKind::kDocumentEntry, ObjectKind::kSubmissionSet, ObjectKind::kFolder, ObjectKind::kAssociation}) {
      n += metadata->CountObjects(kind).value_or(-1000000);
    }
    return n;
  };

  std::mt19937 rng(20261126);
  int successes = 0, failures = 0, codec_refusals = 0;
  for (int round = 0; round < 400; ++round) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(fixture.c_str()));
    int fresh = 0;  // new uniqueIds, so that undamaged parts are not refused as duplicates
    for (pugi::xpath_node n : doc.select_nodes("//*[local-name()='ExternalIdentifier']")) {
      std::string scheme = n.node().attribute("identificationScheme").value();
      if (scheme == vocab::kDeUniqueId || scheme == vocab::kSsUniqueId || scheme == vocab::kFdUniqueId) {
        n.node().attribute("value") = ("2.25.7" + std::to_string(round) + "." + std::to_string(++fresh)).c_str();
      }
    }
    int changes = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < changes; ++i) Mutate(doc, rng);

    ebrim::ParsedSubmission parsed = ebrim::ParseSubmitObjectsRequest(doc.document_element());
    if (!parsed.errors.empty()) {  // refused by the codec, as the endpoint does
      ++codec_refusals;
      continue;
    }
    int64_t before = total();
    RegistryResponse response = *registry.Register(context, std::move(parsed.submission));
    int64_t after = total();
    if (response.status() == SUCCESS) {
      ++successes;
      EXPECT_GT(after, before) << "round " << round;
    } else {
      ++failures;
      EXPECT_EQ(after, before) << "round " << round << ": a refused submission left objects";
      EXPECT_GT(response.errors_size(), 0) << "round " << round;
    }
  }
  std::cout << successes << " accepted, " << failures << " refused by the registry, " << codec_refusals
            << " refused by the codec\n";
  // The mutations must exercise both outcomes, or the test proves little.
  EXPECT_GT(failures, 50);
  EXPECT_GT(successes, 5);
}

}  // namespace
}  // namespace xds
