// Builders shared by the SQLite metadata store tests.
#ifndef XDS_REGISTRY_STORE_STORE_TEST_UTIL_H_
#define XDS_REGISTRY_STORE_STORE_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "registry/store/metadata_store.h"

namespace xds::testing {

// Association types are opaque strings to the store; these stand in for the vocabulary URNs.
inline constexpr char kMember[] = "test:HasMember";
inline constexpr char kReplace[] = "test:RPLC";

inline const char kPatient1[] = "P1^^^&1.2.3&ISO";
inline const char kPatient2[] = "P2^^^&1.2.3&ISO";

// A fresh database path under TEST_TMPDIR (unique per call).
inline std::string FreshDbPath(const std::string& name) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name + "_" + std::to_string(getpid()) + "_" +
                     std::to_string(counter++) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  return path;
}

inline std::unique_ptr<MetadataStore> OpenStore(const std::string& path, size_t max_group = 256) {
  SqliteOptions options;
  options.path = path;
  options.reader_connections = 4;
  options.max_group_size = max_group;
  absl::StatusOr<std::unique_ptr<MetadataStore>> store = OpenSqliteMetadataStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

inline Code MakeCode(const std::string& code, const std::string& scheme) {
  Code c;
  c.set_code(code);
  c.set_scheme(scheme);
  c.set_display_name(code + " name");
  return c;
}

inline DocumentEntry MakeDe(const std::string& uuid, const std::string& patient, const std::string& unique_id) {
  DocumentEntry de;
  ObjectHeader* h = de.mutable_header();
  h->set_entry_uuid(uuid);
  h->set_logical_id(uuid);
  h->set_version("1");
  h->set_status(APPROVED);
  h->set_title("Title of " + uuid);
  de.set_type(STABLE);
  de.set_mime_type("text/plain");
  de.set_patient_id(patient);
  de.set_unique_id(unique_id);
  de.set_hash("da39a3ee5e6b4b0d3255bfef95601890afd80709");
  de.set_size(0);
  de.set_repository_unique_id("1.2.3.4.5");
  de.set_creation_time("20200101");
  *de.mutable_class_code() = MakeCode("class-A", "1.1");
  *de.mutable_type_code() = MakeCode("type-A", "1.2");
  *de.mutable_format_code() = MakeCode("format-A", "1.3");
  *de.mutable_healthcare_facility_type_code() = MakeCode("hcft-A", "1.4");
  *de.mutable_practice_setting_code() = MakeCode("ps-A", "1.5");
  *de.add_confidentiality_codes() = MakeCode("N", "2.16.840.1.113883.5.25");
  return de;
}

inline SubmissionSet MakeSs(const std::string& uuid, const std::string& patient, const std::string& unique_id) {
  SubmissionSet ss;
  ss.mutable_header()->set_entry_uuid(uuid);
  ss.mutable_header()->set_logical_id(uuid);
  ss.mutable_header()->set_status(APPROVED);
  ss.set_patient_id(patient);
  ss.set_unique_id(unique_id);
  ss.set_source_id("1.9.9");
  ss.set_submission_time("20200101120000");
  *ss.mutable_content_type_code() = MakeCode("ct-A", "3.1");
  return ss;
}

inline Folder MakeFolder(const std::string& uuid, const std::string& patient, const std::string& unique_id) {
  Folder fd;
  fd.mutable_header()->set_entry_uuid(uuid);
  fd.mutable_header()->set_logical_id(uuid);
  fd.mutable_header()->set_status(APPROVED);
  fd.set_patient_id(patient);
  fd.set_unique_id(unique_id);
  fd.set_last_update_time("20200101120000");
  *fd.add_codes() = MakeCode("fc-A", "4.1");
  return fd;
}

inline Association MakeAssoc(const std::string& uuid, const std::string& type, const std::string& source,
                             const std::string& target) {
  Association as;
  as.mutable_header()->set_entry_uuid(uuid);
  as.mutable_header()->set_status(APPROVED);
  as.set_type(type);
  as.set_source(source);
  as.set_target(target);
  as.set_submission_set_status("Original");
  return as;
}

// SubmissionSet `prefix`-ss (uniqueId `ss_unique`) with one DocumentEntry `prefix`-de and
// their HasMember association.
inline WritePlan SimplePlan(const std::string& prefix, const std::string& ss_unique,
                            const std::string& patient = kPatient1) {
  WritePlan plan;
  *plan.submission.add_submission_sets() = MakeSs("urn:uuid:" + prefix + "-ss", patient, ss_unique);
  *plan.submission.add_document_entries() = MakeDe("urn:uuid:" + prefix + "-de", patient, "1.2." + prefix + ".de");
  *plan.submission.add_associations() =
      MakeAssoc("urn:uuid:" + prefix + "-as", kMember, "urn:uuid:" + prefix + "-ss", "urn:uuid:" + prefix + "-de");
  return plan;
}

inline SubmissionCheck AcceptAll() {
  return [](RegistryView&, WritePlan*) { return std::vector<RegistryError>(); };
}

// Refuses a submission whose SubmissionSet uniqueId is already registered (XDSDuplicateUniqueIdInRegistry).
inline SubmissionCheck RefuseDuplicateSsUniqueId() {
  return [](RegistryView& view, WritePlan* plan) {
    std::vector<RegistryError> errors;
    for (const SubmissionSet& ss : plan->submission.submission_sets()) {
      absl::StatusOr<bool> known = view.UniqueIdRegistered(ss.unique_id());
      if (!known.ok() || *known) {
        RegistryError& e = errors.emplace_back();
        e.set_code("XDSDuplicateUniqueIdInRegistry");
        e.set_location(ss.unique_id());
      }
    }
    return errors;
  };
}

template <typename Proto>
std::set<std::string> UuidsOf(const absl::StatusOr<std::vector<Proto>>& objects) {
  EXPECT_TRUE(objects.ok()) << objects.status();
  std::set<std::string> out;
  if (objects.ok()) {
    for (const Proto& p : *objects) out.insert(p.header().entry_uuid());
  }
  return out;
}

}  // namespace xds::testing

#endif  // XDS_REGISTRY_STORE_STORE_TEST_UTIL_H_
