#include "registry/store/sqlite_queries.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "registry/shared/model/dtm.h"
#include "registry/store/sqlite_schema.h"

namespace xds::sqlite {
namespace {

// Long uuid lists are split so that no statement exceeds SQLite's host parameter limit.
constexpr size_t kChunk = 500;

SqlValue TextOrNull(const std::string& s) {
  if (s.empty()) return std::monostate();
  return s;
}

std::string Placeholders(size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) out.append(i == 0 ? "?" : ",?");
  return out;
}

// Collects the AND-ed conditions of a WHERE clause and their parameters.
class Where {
 public:
  void Add(std::string clause) { clauses_.push_back(std::move(clause)); }
  std::vector<SqlValue>& params() { return params_; }

  void In(const std::string& column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    Add(absl::StrCat(column, " IN (", Placeholders(values.size()), ")"));
    for (const std::string& v : values) params_.push_back(v);
  }
  template <typename Enum>
  void InEnum(const std::string& column, const std::vector<Enum>& values) {
    if (values.empty()) return;
    Add(absl::StrCat(column, " IN (", Placeholders(values.size()), ")"));
    for (Enum v : values) params_.push_back(static_cast<int64_t>(v));
  }
  // OR across `codes`. A CodeRef with an empty scheme matches the code in any scheme.
  // One code with its scheme is an equality the (patient_id, status, code, scheme) indexes
  // search on. Several are an OR of (code, scheme) pairs inside `code BETWEEN min AND max`:
  // the range is what the index searches on (and what makes SQLite pick that index), the
  // pairs are checked on the index entries in it, which for ObjectRef the index covers.
  // A `code IN (...)` in its place made SQLite build an ephemeral table of the list at
  // every execution: about twice the SELECT's cost at 1 M entries with 5 classCodes.
  std::string CodeMatch(const std::string& code_col, const std::string& scheme_col, const std::vector<CodeRef>& codes) {
    std::vector<std::string> terms;
    std::vector<const CodeRef*> code_only;
    for (const CodeRef& c : codes) {
      if (c.scheme.empty()) {
        code_only.push_back(&c);
        continue;
      }
      terms.push_back(absl::StrCat("(", code_col, " = ? AND ", scheme_col, " = ?)"));
      params_.push_back(c.code);
      params_.push_back(c.scheme);
    }
    if (!code_only.empty()) {
      terms.push_back(absl::StrCat(code_col, " IN (", Placeholders(code_only.size()), ")"));
      for (const CodeRef* c : code_only) params_.push_back(c->code);
    }
    std::string match = absl::StrCat("(", absl::StrJoin(terms, " OR "), ")");
    if (codes.size() == 1) return match;
    // std::string and SQLite's BINARY collation both order bytewise.
    auto [lowest, highest] = std::minmax_element(codes.begin(), codes.end(),
                                                 [](const CodeRef& a, const CodeRef& b) { return a.code < b.code; });
    params_.push_back(lowest->code);
    params_.push_back(highest->code);
    return absl::StrCat("(", match, " AND ", code_col, " BETWEEN ? AND ?)");
  }
  void Codes(const std::string& code_col, const std::string& scheme_col, const std::vector<CodeRef>& codes) {
    if (codes.empty()) return;
    Add(CodeMatch(code_col, scheme_col, codes));
  }
  // One EXISTS per OR-group: groups are ANDed.
  void MultiCodes(const std::string& owner_col, CodeKind kind, const std::vector<std::vector<CodeRef>>& groups) {
    for (const std::vector<CodeRef>& group : groups) {
      if (group.empty()) continue;
      params_.push_back(static_cast<int64_t>(kind));
      std::string match = CodeMatch("c.code", "c.scheme", group);
      Add(absl::StrCat("EXISTS (SELECT 1 FROM object_codes AS c WHERE c.owner = ", owner_col, " AND c.kind = ? AND ",
                       match, ")"));
    }
  }
  void Authors(const std::string& owner_col, const std::vector<std::string>& patterns) {
    if (patterns.empty()) return;
    std::vector<std::string> likes(patterns.size(), "a.person LIKE ?");
    Add(absl::StrCat("EXISTS (SELECT 1 FROM author_persons AS a WHERE a.owner = ", owner_col, " AND (",
                     absl::StrJoin(likes, " OR "), "))"));
    for (const std::string& p : patterns) params_.push_back(p);
  }
  void AtLeast(const std::string& column, const std::string& dtm, bool missing_matches) {
    Bound(column, ">=", dtm, missing_matches);
  }
  void Before(const std::string& column, const std::string& dtm, bool missing_matches) {
    Bound(column, "<", dtm, missing_matches);
  }

  // `columns` are selected with `rowid` last. No ORDER BY: RunInRowidOrder sorts on that last
  // column. With an IN-list on an index, an ORDER BY rowid made SQLite sort through a
  // temporary B-tree: 3x the cost of the SELECT alone at 100 k entries.
  Query Finish(const std::string& columns, const std::string& rowid, const std::string& from, size_t limit) {
    Query q;
    q.sql = absl::StrCat("SELECT ", columns, ", ", rowid, " FROM ", from);
    if (!clauses_.empty()) absl::StrAppend(&q.sql, " WHERE ", absl::StrJoin(clauses_, " AND "));
    q.params = std::move(params_);
    if (limit > 0) {
      // One row more than asked, so that the caller can tell "exactly limit" from "too many".
      q.sql.append(" LIMIT ?");
      q.params.push_back(static_cast<int64_t>(limit) + 1);
    }
    return q;
  }

 private:
  void Bound(const std::string& column, const char* op, const std::string& dtm, bool missing_matches) {
    if (dtm.empty()) return;
    if (missing_matches) {
      Add(absl::StrCat("(", column, " IS NULL OR ", column, " ", op, " ?)"));
    } else {
      Add(absl::StrCat(column, " ", op, " ?"));
    }
    params_.push_back(NormalizeDtm(dtm));
  }

  std::vector<std::string> clauses_;
  std::vector<SqlValue> params_;
};

// Runs `q`, whose last column is the rowid, and returns what `read_row` makes of each row in
// rowid (registration) order.
template <typename T, typename ReadRow>
absl::StatusOr<std::vector<T>> RunInRowidOrder(Connection& conn, const Query& q, ReadRow read_row) {
  absl::StatusOr<Statement> stmt = conn.Prepare(q.sql);
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->BindAll(q.params); !s.ok()) return s;
  const int rowid_column = stmt->ColumnCount() - 1;
  std::vector<T> out;
  out.reserve(16);  // a patient's answer mostly; growing moves every message (construct + swap)
  std::vector<std::pair<int64_t, size_t>> order;  // (rowid, index in out)
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    order.emplace_back(stmt->ColumnInt64(rowid_column), out.size());
    if (absl::Status s = read_row(*stmt, out.emplace_back()); !s.ok()) return s;
  }
  std::sort(order.begin(), order.end());
  // Put `out` in rowid order by swaps along the permutation's cycles: protobuf messages
  // swap their pointers, where moving them constructs and destroys a message each time.
  for (size_t i = 0; i < order.size(); ++i) {
    size_t at = i;
    while (order[at].second != i) {
      size_t from = order[at].second;
      using std::swap;
      swap(out[at], out[from]);
      order[at].second = at;
      at = from;
    }
    order[at].second = at;
  }
  return out;
}

// `q` selects (blob, rowid).
template <typename Proto>
absl::StatusOr<std::vector<Proto>> RunBlobQuery(Connection& conn, const Query& q) {
  return RunInRowidOrder<Proto>(conn, q, [](Statement& stmt, Proto& p) {
    absl::string_view blob = stmt.ColumnBlob(0);
    if (!p.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return absl::DataLossError("stored registry object cannot be parsed");
    }
    return absl::OkStatus();
  });
}

absl::Status InsertCodes(Connection& conn, const std::string& owner, CodeKind kind,
                         const google::protobuf::RepeatedPtrField<Code>& codes) {
  for (const Code& c : codes) {
    absl::StatusOr<Statement> stmt =
        conn.Prepare("INSERT OR IGNORE INTO object_codes (owner, kind, code, scheme) VALUES (?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    if (absl::Status s = stmt->BindAll({owner, static_cast<int64_t>(kind), c.code(), c.scheme()}); !s.ok()) return s;
    if (absl::Status s = stmt->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InsertAuthors(Connection& conn, const std::string& owner,
                           const google::protobuf::RepeatedPtrField<Author>& authors) {
  for (const Author& a : authors) {
    if (a.person().empty()) continue;
    absl::StatusOr<Statement> stmt = conn.Prepare("INSERT OR IGNORE INTO author_persons (owner, person) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.status();
    if (absl::Status s = stmt->BindAll({owner, a.person()}); !s.ok()) return s;
    if (absl::Status s = stmt->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Runs `sql` (one blob parameter last) after binding `params`.
absl::Status RunWithBlob(Connection& conn, const std::string& sql, const std::vector<SqlValue>& params,
                         const std::string& blob) {
  absl::StatusOr<Statement> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->BindAll(params); !s.ok()) return s;
  if (absl::Status s = stmt->BindBlob(static_cast<int>(params.size()) + 1, blob); !s.ok()) return s;
  return stmt->Run();
}

absl::Status InsertDocumentEntry(Connection& conn, const DocumentEntry& de) {
  const std::string& uuid = de.header().entry_uuid();
  const std::string& lid = de.header().logical_id().empty() ? uuid : de.header().logical_id();
  std::vector<SqlValue> params = {
      uuid,
      de.patient_id(),
      static_cast<int64_t>(de.header().status()),
      static_cast<int64_t>(de.type()),
      de.unique_id(),
      lid,
      TextOrNull(de.header().version()),
      TextOrNull(de.class_code().code()),
      TextOrNull(de.class_code().scheme()),
      TextOrNull(de.type_code().code()),
      TextOrNull(de.type_code().scheme()),
      TextOrNull(de.practice_setting_code().code()),
      TextOrNull(de.practice_setting_code().scheme()),
      TextOrNull(de.healthcare_facility_type_code().code()),
      TextOrNull(de.healthcare_facility_type_code().scheme()),
      TextOrNull(de.format_code().code()),
      TextOrNull(de.format_code().scheme()),
      TextOrNull(NormalizeDtm(de.creation_time())),
      TextOrNull(NormalizeDtm(de.service_start_time())),
      TextOrNull(NormalizeDtm(de.service_stop_time())),
      TextOrNull(de.hash()),
      de.has_size() ? SqlValue(de.size()) : SqlValue(std::monostate()),
      TextOrNull(de.repository_unique_id()),
  };
  absl::Status s = RunWithBlob(conn,
                               "INSERT INTO document_entries (entry_uuid, patient_id, status, object_type, unique_id, "
                               "logical_id, version, class_code, class_scheme, type_code, type_scheme, "
                               "practice_setting_code, practice_setting_scheme, hcft_code, hcft_scheme, format_code, "
                               "format_scheme, creation_time, service_start_time, service_stop_time, hash, size, "
                               "repository_unique_id, blob) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               params, de.SerializeAsString());
  if (s.ok()) s = InsertCodes(conn, uuid, kConfidentialityCode, de.confidentiality_codes());
  if (s.ok()) s = InsertCodes(conn, uuid, kEventCode, de.event_codes());
  if (s.ok()) s = InsertAuthors(conn, uuid, de.authors());
  for (const std::string& ref : de.reference_ids()) {
    if (!s.ok()) break;
    absl::StatusOr<Statement> stmt =
        conn.Prepare("INSERT OR IGNORE INTO reference_ids (owner, reference_id) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.status();
    s = stmt->BindAll({uuid, ref});
    if (s.ok()) s = stmt->Run();
  }
  return s;
}

absl::Status InsertSubmissionSet(Connection& conn, const SubmissionSet& ss) {
  const std::string& uuid = ss.header().entry_uuid();
  std::vector<SqlValue> params = {
      uuid,
      ss.patient_id(),
      static_cast<int64_t>(ss.header().status()),
      ss.unique_id(),
      TextOrNull(ss.source_id()),
      TextOrNull(NormalizeDtm(ss.submission_time())),
      TextOrNull(ss.content_type_code().code()),
      TextOrNull(ss.content_type_code().scheme()),
  };
  absl::Status s = RunWithBlob(conn,
                               "INSERT INTO submission_sets (entry_uuid, patient_id, status, unique_id, source_id, "
                               "submission_time, content_type_code, content_type_scheme, blob) "
                               "VALUES (?,?,?,?,?,?,?,?,?)",
                               params, ss.SerializeAsString());
  if (s.ok()) s = InsertAuthors(conn, uuid, ss.authors());
  return s;
}

absl::Status InsertFolder(Connection& conn, const Folder& fd) {
  const std::string& uuid = fd.header().entry_uuid();
  std::vector<SqlValue> params = {uuid,
                                  fd.patient_id(),
                                  static_cast<int64_t>(fd.header().status()),
                                  fd.unique_id(),
                                  TextOrNull(NormalizeDtm(fd.last_update_time())),
                                  fd.header().logical_id().empty() ? uuid : fd.header().logical_id(),
                                  TextOrNull(fd.header().version())};
  absl::Status s = RunWithBlob(conn,
                               "INSERT INTO folders (entry_uuid, patient_id, status, unique_id, last_update_time, "
                               "logical_id, version, blob) VALUES (?,?,?,?,?,?,?,?)",
                               params, fd.SerializeAsString());
  if (s.ok()) s = InsertCodes(conn, uuid, kFolderCode, fd.codes());
  return s;
}

absl::Status InsertAssociation(Connection& conn, const Association& as) {
  std::vector<SqlValue> params = {as.header().entry_uuid(), as.type(), as.source(), as.target(),
                                  static_cast<int64_t>(as.header().status())};
  return RunWithBlob(conn,
                     "INSERT INTO associations (entry_uuid, type, source, target, status, blob) "
                     "VALUES (?,?,?,?,?,?)",
                     params, as.SerializeAsString());
}

// Reads one blob by primary key; NotFound when absent.
template <typename Proto>
absl::StatusOr<Proto> LoadByUuid(Connection& conn, const std::string& table, const std::string& uuid) {
  Query q{absl::StrCat("SELECT blob, rowid FROM ", table, " WHERE entry_uuid = ?"), {uuid}};
  absl::StatusOr<std::vector<Proto>> rows = RunBlobQuery<Proto>(conn, q);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such object");
  return std::move(rows->front());
}

// policy::Visibility::Admits as SQL over document_access.
void AccessClause(const policy::Visibility& v, Where& w) {
  if (v.wrong_patient) {
    w.Add("0");
    return;
  }
  std::vector<std::string> either;
  if (!v.own_organization.empty()) {
    either.push_back("a.submitting_org = ?");
    w.params().push_back(v.own_organization);
  }
  if (!v.categories.empty()) {
    either.push_back(
        absl::StrCat("(a.restricted = 0 AND a.data_category IN (", Placeholders(v.categories.size()), "))"));
    for (const auto& [category, btg] : v.categories) w.params().push_back(category);
  }
  if (v.restricted_visible) either.push_back("a.restricted = 1");
  if (either.empty()) {
    w.Add("0");
    return;
  }
  w.Add(absl::StrCat("EXISTS (SELECT 1 FROM document_access AS a WHERE a.entry_uuid = de.entry_uuid AND (",
                     absl::StrJoin(either, " OR "), "))"));
}

absl::Status InsertDocumentAccess(Connection& conn, const DocumentEntry& de, const std::string& submitting_org,
                                  const policy::DomainPolicy* domain_policy) {
  std::string category;
  bool restricted = false;
  if (domain_policy != nullptr) {
    const policy::DocumentFacts facts = policy::FactsOf(de, submitting_org);
    category = policy::DataCategoryOf(*domain_policy, facts);
    restricted = policy::IsRestricted(*domain_policy, facts);
  }
  absl::StatusOr<Statement> stmt = conn.Prepare(
      "INSERT INTO document_access (entry_uuid, submitting_org, data_category, restricted) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (entry_uuid) DO UPDATE SET data_category = excluded.data_category, "
      "restricted = excluded.restricted");
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s =
          stmt->BindAll({de.header().entry_uuid(), submitting_org, category, static_cast<int64_t>(restricted ? 1 : 0)});
      !s.ok())
    return s;
  return stmt->Run();
}

absl::StatusOr<std::vector<DocumentAccess>> RunAccessQuery(Connection& conn, const std::string& key_column,
                                                           const std::vector<std::string>& keys) {
  std::vector<DocumentAccess> out;
  if (keys.empty()) return out;
  // LEFT JOIN: an entry without its row (it cannot happen after migration 4) comes back
  // with no category, which no Visibility admits.
  absl::StatusOr<Statement> stmt =
      conn.Prepare(absl::StrCat("SELECT de.entry_uuid, de.unique_id, de.patient_id, COALESCE(a.submitting_org, ''), "
                                "COALESCE(a.data_category, ''), "
                                "COALESCE(a.restricted, 1) FROM document_entries AS de LEFT JOIN document_access AS a "
                                "ON a.entry_uuid = de.entry_uuid WHERE de.",
                                key_column, " IN (", Placeholders(keys.size()), ")"));
  if (!stmt.ok()) return stmt.status();
  std::vector<SqlValue> params(keys.begin(), keys.end());
  if (absl::Status s = stmt->BindAll(params); !s.ok()) return s;
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    DocumentAccess& a = out.emplace_back();
    a.entry_uuid = stmt->ColumnText(0);
    a.unique_id = stmt->ColumnText(1);
    a.patient_id = stmt->ColumnText(2);
    a.submitting_organization = stmt->ColumnText(3);
    a.data_category = stmt->ColumnText(4);
    a.restricted = stmt->ColumnInt64(5) != 0;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessOf(Connection& conn, const std::vector<std::string>& uuids) {
  return RunAccessQuery(conn, "entry_uuid", uuids);
}

absl::StatusOr<std::vector<DocumentAccess>> DocumentAccessByUniqueId(Connection& conn,
                                                                     const std::vector<std::string>& unique_ids) {
  return RunAccessQuery(conn, "unique_id", unique_ids);
}

absl::StatusOr<int64_t> ReclassifyDocuments(Connection& conn, const policy::DomainPolicy& domain_policy) {
  const std::string fingerprint = policy::ClassificationFingerprint(domain_policy);
  absl::StatusOr<Statement> meta = conn.Prepare("SELECT value FROM store_meta WHERE key = 'classification'");
  if (!meta.ok()) return meta.status();
  absl::StatusOr<bool> found = meta->Step();
  if (!found.ok()) return found.status();
  if (*found && meta->ColumnText(0) == fingerprint) return 0;
  absl::StatusOr<Statement> entries = conn.Prepare(
      "SELECT de.blob, COALESCE(a.submitting_org, '') FROM document_entries AS de "
      "LEFT JOIN document_access AS a ON a.entry_uuid = de.entry_uuid");
  if (!entries.ok()) return entries.status();
  int64_t n = 0;
  for (;;) {
    absl::StatusOr<bool> row = entries->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    DocumentEntry de;
    absl::string_view blob = entries->ColumnBlob(0);
    if (!de.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return absl::DataLossError("a stored DocumentEntry does not parse");
    }
    if (absl::Status s = InsertDocumentAccess(conn, de, entries->ColumnText(1), &domain_policy); !s.ok()) return s;
    ++n;
  }
  absl::StatusOr<Statement> record =
      conn.Prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('classification', ?)");
  if (!record.ok()) return record.status();
  if (absl::Status s = record->BindAll({fingerprint}); !s.ok()) return s;
  if (absl::Status s = record->Run(); !s.ok()) return s;
  return n;
}

Query BuildDocumentEntryQuery(const DocumentEntryFilter& f) {
  Where w;
  w.In("de.patient_id", f.patient_ids);
  w.InEnum("de.status", f.statuses);
  w.InEnum("de.object_type", f.types);
  w.Codes("de.class_code", "de.class_scheme", f.class_codes);
  w.Codes("de.type_code", "de.type_scheme", f.type_codes);
  w.Codes("de.practice_setting_code", "de.practice_setting_scheme", f.practice_setting_codes);
  w.Codes("de.hcft_code", "de.hcft_scheme", f.healthcare_facility_type_codes);
  w.Codes("de.format_code", "de.format_scheme", f.format_codes);
  w.AtLeast("de.creation_time", f.creation_from, /*missing_matches=*/false);
  w.Before("de.creation_time", f.creation_to, false);
  w.AtLeast("de.service_start_time", f.service_start_from, true);
  w.Before("de.service_start_time", f.service_start_to, true);
  w.AtLeast("de.service_stop_time", f.service_stop_from, true);
  w.Before("de.service_stop_time", f.service_stop_to, true);
  w.In("de.entry_uuid", f.entry_uuids);
  w.In("de.unique_id", f.unique_ids);
  w.In("de.logical_id", f.logical_ids);
  w.MultiCodes("de.entry_uuid", kEventCode, f.event_codes_all);
  w.MultiCodes("de.entry_uuid", kConfidentialityCode, f.confidentiality_codes_all);
  w.Authors("de.entry_uuid", f.author_person_patterns);
  if (!f.reference_ids.empty()) {
    w.Add(absl::StrCat("EXISTS (SELECT 1 FROM reference_ids AS r WHERE r.owner = de.entry_uuid AND r.reference_id IN (",
                       Placeholders(f.reference_ids.size()), "))"));
    for (const std::string& r : f.reference_ids) w.params().push_back(r);
  }
  for (const std::vector<std::string>& group : f.reference_ids_all) {
    if (group.empty()) continue;
    w.Add(absl::StrCat("EXISTS (SELECT 1 FROM reference_ids AS r WHERE r.owner = de.entry_uuid AND r.reference_id IN (",
                       Placeholders(group.size()), "))"));
    for (const std::string& r : group) w.params().push_back(r);
  }
  if (f.visibility != nullptr) AccessClause(*f.visibility, w);
  return w.Finish(f.ids_only ? "de.entry_uuid, de.patient_id" : "de.blob", "de.rowid", "document_entries AS de",
                  f.limit);
}

Query BuildSubmissionSetQuery(const PackageFilter& f) {
  Where w;
  w.In("ss.patient_id", f.patient_ids);
  w.InEnum("ss.status", f.statuses);
  w.In("ss.entry_uuid", f.entry_uuids);
  w.In("ss.unique_id", f.unique_ids);
  w.In("ss.source_id", f.source_ids);
  w.Codes("ss.content_type_code", "ss.content_type_scheme", f.content_type_codes);
  w.Authors("ss.entry_uuid", f.author_person_patterns);
  w.AtLeast("ss.submission_time", f.time_from, false);
  w.Before("ss.submission_time", f.time_to, false);
  return w.Finish("ss.blob", "ss.rowid", "submission_sets AS ss", f.limit);
}

Query BuildFolderQuery(const PackageFilter& f) {
  Where w;
  w.In("fd.patient_id", f.patient_ids);
  w.InEnum("fd.status", f.statuses);
  w.In("fd.entry_uuid", f.entry_uuids);
  w.In("fd.unique_id", f.unique_ids);
  w.In("fd.logical_id", f.logical_ids);
  w.MultiCodes("fd.entry_uuid", kFolderCode, f.folder_codes_all);
  w.AtLeast("fd.last_update_time", f.time_from, false);
  w.Before("fd.last_update_time", f.time_to, false);
  return w.Finish("fd.blob", "fd.rowid", "folders AS fd", f.limit);
}

absl::StatusOr<std::vector<DocumentEntry>> FindDocumentEntries(Connection& conn, const DocumentEntryFilter& f) {
  if (!f.ids_only) return RunBlobQuery<DocumentEntry>(conn, BuildDocumentEntryQuery(f));
  return RunInRowidOrder<DocumentEntry>(conn, BuildDocumentEntryQuery(f), [](Statement& stmt, DocumentEntry& de) {
    de.mutable_header()->set_entry_uuid(std::string(stmt.ColumnText(0)));
    de.set_patient_id(std::string(stmt.ColumnText(1)));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SubmissionSet>> FindSubmissionSets(Connection& conn, const PackageFilter& f) {
  return RunBlobQuery<SubmissionSet>(conn, BuildSubmissionSetQuery(f));
}

absl::StatusOr<std::vector<Folder>> FindFolders(Connection& conn, const PackageFilter& f) {
  return RunBlobQuery<Folder>(conn, BuildFolderQuery(f));
}

absl::StatusOr<std::vector<Association>> FindAssociations(Connection& conn, const std::vector<std::string>& uuids,
                                                          const std::vector<std::string>& types) {
  if (uuids.empty()) return absl::InvalidArgumentError("FindAssociations needs at least one source/target uuid");
  std::vector<Association> out;
  std::set<std::string> seen;  // an association can match in two chunks (source in one, target in another)
  for (size_t begin = 0; begin < uuids.size(); begin += kChunk) {
    size_t n = std::min(kChunk, uuids.size() - begin);
    std::vector<std::string> chunk(uuids.begin() + begin, uuids.begin() + begin + n);
    std::string type_clause;
    if (!types.empty()) type_clause = absl::StrCat(" AND type IN (", Placeholders(types.size()), ")");
    // Two index searches (source, target) rather than one OR that could fall back to a scan.
    Query q;
    q.sql = absl::StrCat(
        "SELECT blob, rowid FROM associations WHERE rowid IN (SELECT rowid FROM associations WHERE source IN (",
        Placeholders(n), ")", type_clause, " UNION SELECT rowid FROM associations WHERE target IN (", Placeholders(n),
        ")", type_clause, ")");
    for (int side = 0; side < 2; ++side) {
      for (const std::string& u : chunk) q.params.push_back(u);
      for (const std::string& t : types) q.params.push_back(t);
    }
    absl::StatusOr<std::vector<Association>> rows = RunBlobQuery<Association>(conn, q);
    if (!rows.ok()) return rows.status();
    for (Association& a : *rows) {
      if (seen.insert(a.header().entry_uuid()).second) out.push_back(std::move(a));
    }
  }
  return out;
}

absl::StatusOr<std::vector<StoredObjectInfo>> FindObjects(Connection& conn, const std::vector<std::string>& uuids) {
  struct Table {
    const char* sql_prefix;
    ObjectKind kind;
  };
  static constexpr Table kTables[] = {
      {"SELECT entry_uuid, patient_id, status, object_type FROM document_entries", ObjectKind::kDocumentEntry},
      {"SELECT entry_uuid, patient_id, status, 0 FROM submission_sets", ObjectKind::kSubmissionSet},
      {"SELECT entry_uuid, patient_id, status, 0 FROM folders", ObjectKind::kFolder},
      {"SELECT entry_uuid, '', status, 0 FROM associations", ObjectKind::kAssociation},
  };
  std::vector<StoredObjectInfo> out;
  for (size_t begin = 0; begin < uuids.size(); begin += kChunk) {
    size_t n = std::min(kChunk, uuids.size() - begin);
    for (const Table& t : kTables) {
      absl::StatusOr<Statement> stmt =
          conn.Prepare(absl::StrCat(t.sql_prefix, " WHERE entry_uuid IN (", Placeholders(n), ")"));
      if (!stmt.ok()) return stmt.status();
      for (size_t i = 0; i < n; ++i) {
        if (absl::Status s = stmt->Bind(static_cast<int>(i + 1), uuids[begin + i]); !s.ok()) return s;
      }
      for (;;) {
        absl::StatusOr<bool> row = stmt->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        StoredObjectInfo info;
        info.entry_uuid = stmt->ColumnText(0);
        info.kind = t.kind;
        info.patient_id = stmt->ColumnText(1);
        info.status = static_cast<AvailabilityStatus>(stmt->ColumnInt64(2));
        info.document_type = static_cast<DocumentEntryType>(stmt->ColumnInt64(3));
        out.push_back(std::move(info));
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<DocumentEntry>> DocumentEntriesByUniqueId(Connection& conn, const std::string& unique_id) {
  return RunBlobQuery<DocumentEntry>(
      conn, Query{"SELECT blob, rowid FROM document_entries WHERE unique_id = ?", {unique_id}});
}

absl::StatusOr<bool> UniqueIdRegistered(Connection& conn, const std::string& unique_id) {
  absl::StatusOr<int64_t> found = conn.QueryInt(
      "SELECT EXISTS (SELECT 1 FROM document_entries WHERE unique_id = ?1) OR "
      "EXISTS (SELECT 1 FROM submission_sets WHERE unique_id = ?1) OR "
      "EXISTS (SELECT 1 FROM folders WHERE unique_id = ?1)",
      {unique_id});
  if (!found.ok()) return found.status();
  return *found != 0;
}

absl::StatusOr<std::vector<Association>> AssociationsOf(Connection& conn, const std::string& uuid) {
  return FindAssociations(conn, {uuid}, {});
}

absl::StatusOr<std::vector<Association>> AssociationsById(Connection& conn, const std::vector<std::string>& uuids) {
  std::vector<Association> out;
  for (const std::string& uuid : uuids) {
    absl::StatusOr<Association> found = LoadByUuid<Association>(conn, "associations", uuid);
    if (absl::IsNotFound(found.status())) continue;
    if (!found.ok()) return found.status();
    out.push_back(*std::move(found));
  }
  return out;
}

absl::StatusOr<bool> PatientKnown(Connection& conn, const std::string& patient_id) {
  // A merged (subsumed) id stays in the index for the record, but is no longer known.
  absl::StatusOr<int64_t> found = conn.QueryInt(
      "SELECT EXISTS (SELECT 1 FROM patients WHERE id = ?1) AND NOT EXISTS (SELECT 1 FROM patient_merges WHERE "
      "subsumed = ?1)",
      {patient_id});
  if (!found.ok()) return found.status();
  return *found != 0;
}

absl::StatusOr<std::vector<std::string>> ListPatients(Connection& conn) {
  absl::StatusOr<Statement> stmt =
      conn.Prepare("SELECT id FROM patients WHERE id NOT IN (SELECT subsumed FROM patient_merges) ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  std::vector<std::string> out;
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(stmt->ColumnText(0));
  }
}

absl::StatusOr<int64_t> CountObjects(Connection& conn, ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kDocumentEntry:
      return conn.QueryInt("SELECT COUNT(*) FROM document_entries");
    case ObjectKind::kSubmissionSet:
      return conn.QueryInt("SELECT COUNT(*) FROM submission_sets");
    case ObjectKind::kFolder:
      return conn.QueryInt("SELECT COUNT(*) FROM folders");
    case ObjectKind::kAssociation:
      return conn.QueryInt("SELECT COUNT(*) FROM associations");
  }
  return absl::InvalidArgumentError("unknown object kind");
}

absl::Status InsertSubmission(Connection& conn, const Submission& submission, const std::string& submitting_org,
                              const policy::DomainPolicy* domain_policy) {
  for (const SubmissionSet& ss : submission.submission_sets()) {
    if (absl::Status s = InsertSubmissionSet(conn, ss); !s.ok()) return s;
  }
  for (const DocumentEntry& de : submission.document_entries()) {
    // A new version (ITI-57) stays its first submitter's: who registered the document
    // keeps seeing it, whoever updates its metadata.
    std::string submitter = submitting_org;
    if (!de.header().logical_id().empty() && de.header().logical_id() != de.header().entry_uuid()) {
      absl::StatusOr<Statement> first = conn.Prepare(
          "SELECT a.submitting_org FROM document_entries AS de JOIN document_access AS a "
          "ON a.entry_uuid = de.entry_uuid WHERE de.logical_id = ? ORDER BY de.rowid LIMIT 1");
      if (!first.ok()) return first.status();
      if (absl::Status s = first->BindAll({de.header().logical_id()}); !s.ok()) return s;
      absl::StatusOr<bool> found = first->Step();
      if (!found.ok()) return found.status();
      if (*found) submitter = first->ColumnText(0);
    }
    if (absl::Status s = InsertDocumentEntry(conn, de); !s.ok()) return s;
    if (absl::Status s = InsertDocumentAccess(conn, de, submitter, domain_policy); !s.ok()) return s;
  }
  for (const Folder& fd : submission.folders()) {
    if (absl::Status s = InsertFolder(conn, fd); !s.ok()) return s;
  }
  for (const Association& as : submission.associations()) {
    if (absl::Status s = InsertAssociation(conn, as); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DeprecateDocumentEntries(Connection& conn, const std::vector<std::string>& uuids) {
  for (const std::string& uuid : uuids) {
    absl::StatusOr<DocumentEntry> de = LoadByUuid<DocumentEntry>(conn, "document_entries", uuid);
    if (absl::IsNotFound(de.status())) continue;
    if (!de.ok()) return de.status();
    de->mutable_header()->set_status(DEPRECATED);
    absl::StatusOr<Statement> stmt =
        conn.Prepare("UPDATE document_entries SET status = ?, blob = ? WHERE entry_uuid = ?");
    if (!stmt.ok()) return stmt.status();
    absl::Status s = stmt->Bind(1, static_cast<int64_t>(DEPRECATED));
    if (s.ok()) s = stmt->BindBlob(2, de->SerializeAsString());
    if (s.ok()) s = stmt->Bind(3, uuid);
    if (s.ok()) s = stmt->Run();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status TouchFolders(Connection& conn, const std::vector<std::string>& uuids, const std::string& time) {
  for (const std::string& uuid : uuids) {
    absl::StatusOr<Folder> fd = LoadByUuid<Folder>(conn, "folders", uuid);
    if (absl::IsNotFound(fd.status())) continue;
    if (!fd.ok()) return fd.status();
    fd->set_last_update_time(time);
    absl::StatusOr<Statement> stmt =
        conn.Prepare("UPDATE folders SET last_update_time = ?, blob = ? WHERE entry_uuid = ?");
    if (!stmt.ok()) return stmt.status();
    absl::Status s = stmt->Bind(1, TextOrNull(NormalizeDtm(time)));
    if (s.ok()) s = stmt->BindBlob(2, fd->SerializeAsString());
    if (s.ok()) s = stmt->Bind(3, uuid);
    if (s.ok()) s = stmt->Run();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {
template <typename Proto>
absl::Status SetStatusIn(Connection& conn, const std::string& table, const std::string& uuid, AvailabilityStatus status,
                         bool* found) {
  absl::StatusOr<Proto> object = LoadByUuid<Proto>(conn, table, uuid);
  *found = object.ok();
  if (absl::IsNotFound(object.status())) return absl::OkStatus();
  if (!object.ok()) return object.status();
  object->mutable_header()->set_status(status);
  absl::StatusOr<Statement> stmt =
      conn.Prepare(absl::StrCat("UPDATE ", table, " SET status = ?, blob = ? WHERE entry_uuid = ?"));
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->Bind(1, static_cast<int64_t>(status));
  if (s.ok()) s = stmt->BindBlob(2, object->SerializeAsString());
  if (s.ok()) s = stmt->Bind(3, uuid);
  if (s.ok()) s = stmt->Run();
  return s;
}
}  // namespace

absl::Status SetStatuses(Connection& conn, const std::vector<std::pair<std::string, AvailabilityStatus>>& changes) {
  for (const auto& [uuid, status] : changes) {
    bool found = false;
    absl::Status s = SetStatusIn<DocumentEntry>(conn, "document_entries", uuid, status, &found);
    if (s.ok() && !found) s = SetStatusIn<Folder>(conn, "folders", uuid, status, &found);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RemoveObjects(Connection& conn, const std::vector<std::string>& uuids) {
  static constexpr const char* kDeletes[] = {
      "DELETE FROM document_entries WHERE entry_uuid = ?", "DELETE FROM submission_sets WHERE entry_uuid = ?",
      "DELETE FROM folders WHERE entry_uuid = ?",          "DELETE FROM associations WHERE entry_uuid = ?",
      "DELETE FROM object_codes WHERE owner = ?",          "DELETE FROM author_persons WHERE owner = ?",
      "DELETE FROM reference_ids WHERE owner = ?",         "DELETE FROM document_access WHERE entry_uuid = ?",
  };
  for (const std::string& uuid : uuids) {
    for (const char* sql : kDeletes) {
      absl::StatusOr<Statement> stmt = conn.Prepare(sql);
      if (!stmt.ok()) return stmt.status();
      absl::Status s = stmt->Bind(1, uuid);
      if (s.ok()) s = stmt->Run();
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> InsertPatient(Connection& conn, const std::string& patient_id) {
  absl::StatusOr<Statement> stmt = conn.Prepare("INSERT OR IGNORE INTO patients (id) VALUES (?)");
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->Bind(1, patient_id); !s.ok()) return s;
  if (absl::Status s = stmt->Run(); !s.ok()) return s;
  return conn.Changes() > 0;
}

}  // namespace xds::sqlite
