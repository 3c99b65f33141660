#include "registry/store/sqlite_patient_merge.h"

#include "absl/strings/str_cat.h"
#include "registry/store/sqlite_queries.h"

namespace xds::sqlite {
namespace {

// Re-points one table's objects of `from` to `to`: the indexed column and the stored
// object, so that a LeafClass answer names the id it was found under. Returns how many.
template <typename Object>
absl::StatusOr<int64_t> MoveObjects(Connection& conn, const std::string& table, const std::string& from,
                                    const std::string& to) {
  absl::StatusOr<Statement> select =
      conn.Prepare(absl::StrCat("SELECT entry_uuid, blob FROM ", table, " WHERE patient_id = ?"));
  if (!select.ok()) return select.status();
  if (absl::Status s = select->Bind(1, from); !s.ok()) return s;
  std::vector<std::pair<std::string, std::string>> moved;  // entry_uuid, new blob
  for (;;) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Object object;
    absl::string_view blob = select->ColumnBlob(1);
    if (!object.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return absl::DataLossError(absl::StrCat("stored object ", select->ColumnText(0), " in ", table, " is corrupt"));
    }
    object.set_patient_id(to);
    moved.emplace_back(select->ColumnText(0), object.SerializeAsString());
  }
  const std::string sql = absl::StrCat("UPDATE ", table, " SET patient_id = ?, blob = ? WHERE entry_uuid = ?");
  for (const auto& [uuid, blob] : moved) {
    // A statement per row: Statement has no reset, and merges are rare.
    absl::StatusOr<Statement> update = conn.Prepare(sql);
    if (!update.ok()) return update.status();
    absl::Status s = update->Bind(1, to);
    if (s.ok()) s = update->BindBlob(2, blob);
    if (s.ok()) s = update->Bind(3, uuid);
    if (s.ok()) s = update->Run();
    if (!s.ok()) return s;
  }
  return static_cast<int64_t>(moved.size());
}

}  // namespace

absl::Status ApplyPatientMerge(Connection& conn, const std::string& subsumed, const std::string& surviving,
                               int64_t at_ms, PatientMergeResult* result, absl::Status* refusal) {
  *result = PatientMergeResult();
  absl::StatusOr<int64_t> surviving_merged =
      conn.QueryInt("SELECT EXISTS (SELECT 1 FROM patient_merges WHERE subsumed = ?)", {surviving});
  if (!surviving_merged.ok()) return surviving_merged.status();
  if (*surviving_merged != 0) {
    *refusal = absl::FailedPreconditionError(
        "the surviving patient id was itself merged into another id; it cannot take in further ids");
    return absl::OkStatus();
  }
  // The surviving id may be new to the registry: the identity source vouches for it.
  absl::StatusOr<bool> added = InsertPatient(conn, surviving);
  if (!added.ok()) return added.status();
  result->surviving_added = *added;
  absl::StatusOr<bool> subsumed_added = InsertPatient(conn, subsumed);
  if (!subsumed_added.ok()) return subsumed_added.status();

  absl::StatusOr<int64_t> n = MoveObjects<DocumentEntry>(conn, "document_entries", subsumed, surviving);
  if (!n.ok()) return n.status();
  result->document_entries = *n;
  n = MoveObjects<SubmissionSet>(conn, "submission_sets", subsumed, surviving);
  if (!n.ok()) return n.status();
  result->submission_sets = *n;
  n = MoveObjects<Folder>(conn, "folders", subsumed, surviving);
  if (!n.ok()) return n.status();
  result->folders = *n;

  // Earlier merges into the subsumed id now point at the survivor too.
  absl::StatusOr<Statement> repoint = conn.Prepare("UPDATE patient_merges SET surviving = ? WHERE surviving = ?");
  if (!repoint.ok()) return repoint.status();
  absl::Status s = repoint->BindAll({surviving, subsumed});
  if (s.ok()) s = repoint->Run();
  if (!s.ok()) return s;
  absl::StatusOr<Statement> insert = conn.Prepare(
      "INSERT INTO patient_merges (subsumed, surviving, merged_at) VALUES (?, ?, ?) "
      "ON CONFLICT (subsumed) DO UPDATE SET surviving = excluded.surviving, merged_at = excluded.merged_at");
  if (!insert.ok()) return insert.status();
  s = insert->BindAll({subsumed, surviving, at_ms});
  if (s.ok()) s = insert->Run();
  return s;
}

absl::StatusOr<PatientLinks> ReadPatientLinks(Connection& conn, const std::string& patient_id) {
  PatientLinks links;
  absl::StatusOr<int64_t> in_index = conn.QueryInt("SELECT EXISTS (SELECT 1 FROM patients WHERE id = ?)", {patient_id});
  if (!in_index.ok()) return in_index.status();
  links.in_index = *in_index != 0;
  absl::StatusOr<Statement> into = conn.Prepare("SELECT surviving, merged_at FROM patient_merges WHERE subsumed = ?");
  if (!into.ok()) return into.status();
  if (absl::Status s = into->Bind(1, patient_id); !s.ok()) return s;
  absl::StatusOr<bool> row = into->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    links.merged_into = into->ColumnText(0);
    links.merged_at_ms = into->ColumnInt64(1);
  }
  absl::StatusOr<Statement> from =
      conn.Prepare("SELECT subsumed, merged_at FROM patient_merges WHERE surviving = ? ORDER BY merged_at, subsumed");
  if (!from.ok()) return from.status();
  if (absl::Status s = from->Bind(1, patient_id); !s.ok()) return s;
  for (;;) {
    row = from->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    links.merged_from.push_back({from->ColumnText(0), from->ColumnInt64(1)});
  }
  return links;
}

}  // namespace xds::sqlite
