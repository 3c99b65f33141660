#include "registry/store/sqlite_schema.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace xds::sqlite {

// Version 1. Every ITI-18 query parameter has a column; composite indexes lead with
// (patient_id, status) because every FindDocuments/FindSubmissionSets/FindFolders query
// carries both. The full object is kept as a serialized proto in `blob` for LeafClass
// answers. No UNIQUE constraint on document unique_id: several DocumentEntries may share
// a uniqueId (same hash/size), which the submission check decides.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE patients (
  id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE document_entries (
  entry_uuid TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  object_type INTEGER NOT NULL,
  unique_id TEXT NOT NULL,
  logical_id TEXT NOT NULL,
  version TEXT,
  class_code TEXT, class_scheme TEXT,
  type_code TEXT, type_scheme TEXT,
  practice_setting_code TEXT, practice_setting_scheme TEXT,
  hcft_code TEXT, hcft_scheme TEXT,
  format_code TEXT, format_scheme TEXT,
  creation_time TEXT,
  service_start_time TEXT,
  service_stop_time TEXT,
  hash TEXT,
  size INTEGER,
  repository_unique_id TEXT,
  blob BLOB NOT NULL
);
CREATE INDEX de_class ON document_entries(patient_id, status, class_code, class_scheme);
CREATE INDEX de_type ON document_entries(patient_id, status, type_code, type_scheme);
CREATE INDEX de_practice ON document_entries(patient_id, status, practice_setting_code, practice_setting_scheme);
CREATE INDEX de_hcft ON document_entries(patient_id, status, hcft_code, hcft_scheme);
CREATE INDEX de_format ON document_entries(patient_id, status, format_code, format_scheme);
CREATE INDEX de_creation ON document_entries(patient_id, status, creation_time);
CREATE INDEX de_service_start ON document_entries(patient_id, status, service_start_time);
CREATE INDEX de_service_stop ON document_entries(patient_id, status, service_stop_time);
CREATE INDEX de_unique_id ON document_entries(unique_id);
CREATE INDEX de_logical_id ON document_entries(logical_id, version);

-- Multi-valued codes (DocumentEntry confidentiality/event codes, Folder codes). The primary
-- key serves the per-object EXISTS probe; the second index finds owners by code.
CREATE TABLE object_codes (
  owner TEXT NOT NULL,
  kind INTEGER NOT NULL,
  code TEXT NOT NULL,
  scheme TEXT NOT NULL,
  PRIMARY KEY (owner, kind, code, scheme)
) WITHOUT ROWID;
CREATE INDEX object_codes_by_code ON object_codes(kind, code, scheme, owner);

-- authorPerson of DocumentEntries and SubmissionSets, matched with LIKE.
CREATE TABLE author_persons (
  owner TEXT NOT NULL,
  person TEXT NOT NULL,
  PRIMARY KEY (owner, person)
) WITHOUT ROWID;

-- DocumentEntry referenceIdList values.
CREATE TABLE reference_ids (
  owner TEXT NOT NULL,
  reference_id TEXT NOT NULL,
  PRIMARY KEY (owner, reference_id)
) WITHOUT ROWID;
CREATE INDEX reference_ids_by_value ON reference_ids(reference_id, owner);

CREATE TABLE submission_sets (
  entry_uuid TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  unique_id TEXT NOT NULL,
  source_id TEXT,
  submission_time TEXT,
  content_type_code TEXT, content_type_scheme TEXT,
  blob BLOB NOT NULL
);
CREATE INDEX ss_time ON submission_sets(patient_id, status, submission_time);
CREATE INDEX ss_content_type ON submission_sets(patient_id, status, content_type_code, content_type_scheme);
CREATE INDEX ss_unique_id ON submission_sets(unique_id);
CREATE INDEX ss_source_id ON submission_sets(source_id);

CREATE TABLE folders (
  entry_uuid TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  unique_id TEXT NOT NULL,
  last_update_time TEXT,
  blob BLOB NOT NULL
);
CREATE INDEX folders_time ON folders(patient_id, status, last_update_time);
CREATE INDEX folders_unique_id ON folders(unique_id);

CREATE TABLE associations (
  entry_uuid TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  status INTEGER NOT NULL,
  blob BLOB NOT NULL
);
CREATE INDEX associations_source ON associations(source, type);
CREATE INDEX associations_target ON associations(target, type);
)sql";

// Version 2. The patient-keyed DocumentEntry indexes end with (object_type, entry_uuid): an
// ObjectRef FindDocuments on patient + status + one of these attributes is then answered
// from the index alone. Without it every matching row was read from the table, whose rows
// (with their blobs) are spread over the whole file: at 1 M entries (4 GB) a query's ten
// rows were ten random pages, most beyond SQLite's 2 GiB memory map. Rebuilding the eight
// indexes takes about 54 s per million entries (measured on the 1 M bench store), once,
// when the new build first opens a version 1 store.
constexpr char kSchemaV2[] = R"sql(
DROP INDEX de_class;
DROP INDEX de_type;
DROP INDEX de_practice;
DROP INDEX de_hcft;
DROP INDEX de_format;
DROP INDEX de_creation;
DROP INDEX de_service_start;
DROP INDEX de_service_stop;
CREATE INDEX de_class ON document_entries(patient_id, status, class_code, class_scheme, object_type, entry_uuid);
CREATE INDEX de_type ON document_entries(patient_id, status, type_code, type_scheme, object_type, entry_uuid);
CREATE INDEX de_practice ON document_entries(patient_id, status, practice_setting_code, practice_setting_scheme,
                                             object_type, entry_uuid);
CREATE INDEX de_hcft ON document_entries(patient_id, status, hcft_code, hcft_scheme, object_type, entry_uuid);
CREATE INDEX de_format ON document_entries(patient_id, status, format_code, format_scheme, object_type, entry_uuid);
CREATE INDEX de_creation ON document_entries(patient_id, status, creation_time, object_type, entry_uuid);
CREATE INDEX de_service_start ON document_entries(patient_id, status, service_start_time, object_type, entry_uuid);
CREATE INDEX de_service_stop ON document_entries(patient_id, status, service_stop_time, object_type, entry_uuid);
)sql";

// Version 3. The patient policy of issue 16 (registry/policy: consent rules, treatment
// relationships, exclusions), one table per kind keyed by patient, rather than one
// serialized row per patient: each consent desk change is then one small INSERT or UPDATE
// instead of a read-modify-write of her whole policy, the store filter of the enforcement
// step can join against the rules in SQL, and an administrator can read them with sqlite3.
// Subjects are kept as policy::ToString writes them ("organization:ID", "category:NAME",
// "professional:ID", "*"); times are UTC ms, 0 = open. AUTOINCREMENT so that a revoked
// rule's id is never given to a later rule ("revoke rule 7" twice must not hit another).
constexpr char kSchemaV3[] = R"sql(
CREATE TABLE consent_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  patient_id TEXT NOT NULL,
  effect TEXT NOT NULL CHECK (effect IN ('permit', 'deny')),
  subject TEXT NOT NULL,
  data_category TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('desk', 'bppc')),
  source_document TEXT NOT NULL
);
CREATE INDEX consent_rules_by_patient ON consent_rules(patient_id, id);

CREATE TABLE treatment_relationships (
  id INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL
);
CREATE INDEX treatment_relationships_by_patient ON treatment_relationships(patient_id, id);

CREATE TABLE consent_exclusions (
  id INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER NOT NULL
);
CREATE INDEX consent_exclusions_by_patient ON consent_exclusions(patient_id, id);

-- The BPPC document her kBppc rules came from (one per patient).
CREATE TABLE consent_bppc (
  patient_id TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  effective INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 4. What the access policy of issue 16 needs per DocumentEntry, in a narrow table
// of its own rather than columns of document_entries: the policy filter is then one probe
// of a small b-tree per candidate row, and the patient indexes of version 2 still answer
// ObjectRef queries without reading the wide rows. data_category and restricted are
// derived from the domain policy (store_meta's 'classification' says from which); entries
// registered before this version get an unknown submitting organisation.
constexpr char kSchemaV4[] = R"sql(
CREATE TABLE document_access (
  entry_uuid TEXT PRIMARY KEY,
  submitting_org TEXT NOT NULL,
  data_category TEXT NOT NULL,
  restricted INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO document_access (entry_uuid, submitting_org, data_category, restricted)
  SELECT entry_uuid, '', '', 0 FROM document_entries;
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 5. The patient identity feed's merges (ITI-8 A40, ITI-44 PRPA_IN201304UV02, issue 17): which
// id was subsumed into which, and when (UTC ms). A subsumed id is no longer known for new
// submissions; its entries were moved to the surviving id by the merge itself. When the
// surviving id is later merged again, its rows are re-pointed to the new survivor, so that
// `surviving` never names a subsumed id.
constexpr char kPatientMerges[] = R"sql(
CREATE TABLE patient_merges (
  subsumed TEXT PRIMARY KEY,
  surviving TEXT NOT NULL,
  merged_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX patient_merges_by_surviving ON patient_merges(surviving, subsumed);
)sql";

// Version 6. Folder versions (ITI-57, issue 18): a Folder's logicalId and versionName as columns, so
// that every version of a Folder is found by its logicalId (DocumentEntries have had them
// since version 1). Every Folder registered before is its own first version.
constexpr char kSchemaFolderVersions[] = R"sql(
ALTER TABLE folders ADD COLUMN logical_id TEXT;
ALTER TABLE folders ADD COLUMN version TEXT;
UPDATE folders SET logical_id = entry_uuid, version = '1';
CREATE INDEX folders_logical_id ON folders(logical_id, version);
)sql";

const std::vector<std::string>& Migrations() {
  static const auto* migrations =
      new std::vector<std::string>{kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kPatientMerges, kSchemaFolderVersions};
  return *migrations;
}

absl::Status Migrate(Connection& conn) {
  const std::vector<std::string>& migrations = Migrations();
  int64_t opened_at = -1;  // the version the file had; 0 for a new store
  for (;;) {
    // BEGIN IMMEDIATE first, then read the version: two processes opening the same new file
    // must not both apply migration 0.
    if (absl::Status s = conn.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
    absl::StatusOr<int64_t> version = conn.QueryInt("PRAGMA user_version");
    absl::Status s = version.status();
    if (s.ok() && *version > static_cast<int64_t>(migrations.size())) {
      s = absl::FailedPreconditionError(absl::StrCat("metadata store schema version ", *version,
                                                     " is newer than this build supports (", migrations.size(), ")"));
    }
    if (s.ok() && *version == static_cast<int64_t>(migrations.size())) return conn.Exec("COMMIT");
    if (s.ok() && opened_at < 0) opened_at = *version;
    if (s.ok() && opened_at > 0) {
      // Upgrades of a populated store can take minutes (index rebuilds); say why we wait.
      std::cerr << "metadata store: upgrading schema version " << *version << " to " << *version + 1 << "\n";
    }
    if (s.ok()) s = conn.Exec(migrations[*version]);
    // PRAGMA takes no bound parameters; the value is our own integer.
    if (s.ok()) s = conn.Exec(absl::StrCat("PRAGMA user_version = ", *version + 1));
    if (s.ok()) s = conn.Exec("COMMIT");
    if (!s.ok()) {
      if (conn.InTransaction()) conn.Exec("ROLLBACK").IgnoreError();
      return s;
    }
  }
}

}  // namespace xds::sqlite
