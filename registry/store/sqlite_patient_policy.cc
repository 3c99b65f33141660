#include "registry/store/sqlite_patient_policy.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "registry/store/sqlite_queries.h"

namespace xds::sqlite {
namespace {

const char* EffectText(policy::Effect e) { return e == policy::Effect::kPermit ? "permit" : "deny"; }
const char* SourceText(policy::RuleSource s) { return s == policy::RuleSource::kDesk ? "desk" : "bppc"; }

// One consent_rules row's values, in kInsertRule's order.
std::vector<SqlValue> RuleRow(const std::string& patient_id, const policy::ConsentRule& r) {
  return {patient_id,
          std::string(EffectText(r.effect)),
          policy::ToString(r.subject),
          r.data_category,
          r.valid_from,
          r.valid_to,
          std::string(SourceText(r.source)),
          r.source_document};
}

constexpr char kInsertRule[] =
    "INSERT INTO consent_rules (patient_id, effect, subject, data_category, valid_from, valid_to, source, "
    "source_document) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

// A subject read back that does not parse was written by hand or by a newer build: fail
// the read rather than guess who it meant.
absl::StatusOr<policy::Subject> SubjectColumn(const Statement& stmt, int col) {
  absl::StatusOr<policy::Subject> s = policy::ParseSubject(stmt.ColumnText(col));
  if (!s.ok()) return absl::DataLossError(absl::StrCat("patient policy: stored subject ", s.status().message()));
  return s;
}

// Runs `sql` with `params` and calls `row` for each result row.
template <typename F>
absl::Status ForEachRow(Connection& conn, const std::string& sql, const std::vector<SqlValue>& params, F row) {
  absl::StatusOr<Statement> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->BindAll(params); !s.ok()) return s;
  for (;;) {
    absl::StatusOr<bool> more = stmt->Step();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    if (absl::Status s = row(*stmt); !s.ok()) return s;
  }
}

absl::Status Run(Connection& conn, const std::string& sql, const std::vector<SqlValue>& params) {
  absl::StatusOr<Statement> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->BindAll(params); !s.ok()) return s;
  return stmt->Run();
}

// Ids of the rows of `table` for her and `subject` that are active at `at` (window columns
// `from_col`, `to_col`; 0 = open).
absl::StatusOr<std::vector<int64_t>> ActiveRows(Connection& conn, const std::string& table, const std::string& from_col,
                                                const std::string& to_col, const PolicyChange& c) {
  std::vector<int64_t> ids;
  absl::Status s =
      ForEachRow(conn,
                 absl::StrCat("SELECT id FROM ", table, " WHERE patient_id = ? AND subject = ? AND (", from_col,
                              " = 0 OR ", from_col, " <= ?) AND (", to_col, " = 0 OR ? < ", to_col, ") ORDER BY id"),
                 {c.patient_id, policy::ToString(c.subject), c.at_ms, c.at_ms}, [&](const Statement& row) {
                   ids.push_back(row.ColumnInt64(0));
                   return absl::OkStatus();
                 });
  if (!s.ok()) return s;
  return ids;
}

// Ends the rows `ids` of `table` at `at` (column `to_col`).
absl::Status EndRows(Connection& conn, const std::string& table, const std::string& to_col,
                     const std::vector<int64_t>& ids, int64_t at) {
  for (int64_t id : ids) {
    if (absl::Status s = Run(conn, absl::StrCat("UPDATE ", table, " SET ", to_col, " = ? WHERE id = ?"), {at, id});
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status AddRule(Connection& conn, const PolicyChange& c, PolicyChangeResult* result) {
  const std::vector<SqlValue> values = RuleRow(c.patient_id, c.rule);
  // The same rule granted twice (a desk retrying) is kept once.
  int64_t twin = 0;
  absl::Status s = ForEachRow(conn,
                              "SELECT id FROM consent_rules WHERE patient_id = ? AND effect = ? AND subject = ? AND "
                              "data_category = ? AND valid_from = ? AND valid_to = ? AND source = ? AND "
                              "source_document = ? ORDER BY id LIMIT 1",
                              values, [&](const Statement& row) {
                                twin = row.ColumnInt64(0);
                                return absl::OkStatus();
                              });
  if (!s.ok()) return s;
  if (twin != 0) {
    result->rule_ids.push_back(std::to_string(twin));
    return absl::OkStatus();
  }
  s = Run(conn, kInsertRule, values);
  if (!s.ok()) return s;
  result->changed = true;
  result->rule_ids.push_back(std::to_string(sqlite3_last_insert_rowid(conn.db())));
  return absl::OkStatus();
}

absl::Status Revoke(Connection& conn, const PolicyChange& c, PolicyChangeResult* result, absl::Status* refusal) {
  std::vector<int64_t> ids;
  auto collect = [&](const Statement& row) {
    ids.push_back(row.ColumnInt64(0));
    return absl::OkStatus();
  };
  absl::Status s;
  if (c.kind == PolicyChange::Kind::kRevokeRule) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(c.rule_id, &id) || id <= 0) {
      *refusal = absl::NotFoundError(absl::StrCat("no consent rule '", c.rule_id, "' for patient ", c.patient_id));
      return absl::OkStatus();
    }
    s = ForEachRow(conn, "SELECT id FROM consent_rules WHERE patient_id = ? AND id = ?", {c.patient_id, id}, collect);
  } else if (c.data_category.empty()) {
    s = ForEachRow(conn, "SELECT id FROM consent_rules WHERE patient_id = ? AND subject = ? ORDER BY id",
                   {c.patient_id, policy::ToString(c.subject)}, collect);
  } else {
    s = ForEachRow(
        conn, "SELECT id FROM consent_rules WHERE patient_id = ? AND subject = ? AND data_category = ? ORDER BY id",
        {c.patient_id, policy::ToString(c.subject), c.data_category}, collect);
  }
  if (!s.ok()) return s;
  if (ids.empty()) {
    *refusal = absl::NotFoundError(
        c.kind == PolicyChange::Kind::kRevokeRule
            ? absl::StrCat("no consent rule ", c.rule_id, " for patient ", c.patient_id)
            : absl::StrCat("patient ", c.patient_id, " has no consent rule for ", policy::ToString(c.subject),
                           c.data_category.empty() ? "" : absl::StrCat(" and data category ", c.data_category)));
    return absl::OkStatus();
  }
  for (int64_t id : ids) {
    if (s = Run(conn, "DELETE FROM consent_rules WHERE id = ?", {id}); !s.ok()) return s;
    result->rule_ids.push_back(std::to_string(id));
  }
  result->changed = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<policy::PatientPolicy> ReadPatientPolicy(Connection& conn, const std::string& patient_id) {
  policy::PatientPolicy p;
  p.patient_id = patient_id;
  absl::Status s = ForEachRow(
      conn,
      "SELECT id, effect, subject, data_category, valid_from, valid_to, source, source_document FROM consent_rules "
      "WHERE patient_id = ? ORDER BY id",
      {patient_id}, [&](const Statement& row) -> absl::Status {
        policy::ConsentRule r;
        r.id = std::to_string(row.ColumnInt64(0));
        r.effect = row.ColumnText(1) == "deny" ? policy::Effect::kDeny : policy::Effect::kPermit;
        absl::StatusOr<policy::Subject> subject = SubjectColumn(row, 2);
        if (!subject.ok()) return subject.status();
        r.subject = *std::move(subject);
        r.data_category = row.ColumnText(3);
        r.valid_from = row.ColumnInt64(4);
        r.valid_to = row.ColumnInt64(5);
        r.source = row.ColumnText(6) == "bppc" ? policy::RuleSource::kBppc : policy::RuleSource::kDesk;
        r.source_document = row.ColumnText(7);
        p.rules.push_back(std::move(r));
        return absl::OkStatus();
      });
  if (s.ok()) {
    s = ForEachRow(conn,
                   "SELECT subject, start_ms, end_ms FROM treatment_relationships WHERE patient_id = ? ORDER BY id",
                   {patient_id}, [&](const Statement& row) -> absl::Status {
                     absl::StatusOr<policy::Subject> subject = SubjectColumn(row, 0);
                     if (!subject.ok()) return subject.status();
                     p.relationships.push_back({*std::move(subject), row.ColumnInt64(1), row.ColumnInt64(2)});
                     return absl::OkStatus();
                   });
  }
  if (s.ok()) {
    s = ForEachRow(conn,
                   "SELECT subject, valid_from, valid_to FROM consent_exclusions WHERE patient_id = ? ORDER BY id",
                   {patient_id}, [&](const Statement& row) -> absl::Status {
                     absl::StatusOr<policy::Subject> subject = SubjectColumn(row, 0);
                     if (!subject.ok()) return subject.status();
                     p.exclusions.push_back({*std::move(subject), row.ColumnInt64(1), row.ColumnInt64(2)});
                     return absl::OkStatus();
                   });
  }
  if (s.ok()) {
    s = ForEachRow(conn, "SELECT document, effective FROM consent_bppc WHERE patient_id = ?", {patient_id},
                   [&](const Statement& row) {
                     p.bppc_document = row.ColumnText(0);
                     p.bppc_effective = row.ColumnInt64(1);
                     return absl::OkStatus();
                   });
  }
  if (!s.ok()) return s;
  return p;
}

absl::Status ApplyPolicyChange(Connection& conn, const PolicyChange& c, PolicyChangeResult* result,
                               absl::Status* refusal) {
  absl::StatusOr<bool> known = PatientKnown(conn, c.patient_id);
  if (!known.ok()) return known.status();
  if (!*known) {
    *refusal = absl::NotFoundError(absl::StrCat("patient ", c.patient_id, " is not in the registry's patient index"));
    return absl::OkStatus();
  }
  absl::Status s;
  using Kind = PolicyChange::Kind;
  switch (c.kind) {
    case Kind::kAddRule:
      s = AddRule(conn, c, result);
      break;
    case Kind::kRevokeRule:
    case Kind::kRevokeSubject:
      s = Revoke(conn, c, result, refusal);
      break;
    case Kind::kStartRelationship:
    case Kind::kExclude: {
      const bool relationship = c.kind == Kind::kStartRelationship;
      const std::string table = relationship ? "treatment_relationships" : "consent_exclusions";
      const std::string from = relationship ? "start_ms" : "valid_from";
      const std::string to = relationship ? "end_ms" : "valid_to";
      absl::StatusOr<std::vector<int64_t>> active = ActiveRows(conn, table, from, to, c);
      if (!active.ok()) return active.status();
      if (!active->empty()) break;  // already in place
      s = Run(conn,
              absl::StrCat("INSERT INTO ", table, " (patient_id, subject, ", from, ", ", to, ") VALUES (?, ?, ?, 0)"),
              {c.patient_id, policy::ToString(c.subject), c.at_ms});
      result->changed = s.ok();
      break;
    }
    case Kind::kEndRelationship:
    case Kind::kUnexclude: {
      const bool relationship = c.kind == Kind::kEndRelationship;
      const std::string table = relationship ? "treatment_relationships" : "consent_exclusions";
      absl::StatusOr<std::vector<int64_t>> active =
          ActiveRows(conn, table, relationship ? "start_ms" : "valid_from", relationship ? "end_ms" : "valid_to", c);
      if (!active.ok()) return active.status();
      if (active->empty()) {
        *refusal = absl::NotFoundError(
            absl::StrCat("patient ", c.patient_id, " has no ",
                         relationship ? "ongoing treatment relationship with " : "active exclusion of ",
                         policy::ToString(c.subject)));
        return absl::OkStatus();
      }
      s = EndRows(conn, table, relationship ? "end_ms" : "valid_to", *active, c.at_ms);
      result->changed = s.ok();
      break;
    }
  }
  if (!s.ok() || !refusal->ok()) return s;
  absl::StatusOr<policy::PatientPolicy> after = ReadPatientPolicy(conn, c.patient_id);
  if (!after.ok()) return after.status();
  result->policy = *std::move(after);
  return absl::OkStatus();
}

absl::Status ApplyConsentDocuments(Connection& conn, const policy::DomainPolicy& domain,
                                   const google::protobuf::RepeatedPtrField<DocumentEntry>& entries) {
  for (const DocumentEntry& entry : entries) {
    if (!policy::IsConsentDocument(domain, entry)) continue;
    absl::StatusOr<policy::PatientPolicy> patient = ReadPatientPolicy(conn, entry.patient_id());
    if (!patient.ok()) return patient.status();
    patient->patient_id = entry.patient_id();
    absl::StatusOr<bool> newer = policy::ApplyConsentDocument(domain, entry, &*patient);
    if (!newer.ok()) return newer.status();
    if (!*newer) continue;  // an older document arriving late
    absl::Status s =
        Run(conn, "DELETE FROM consent_rules WHERE patient_id = ? AND source = 'bppc'", {entry.patient_id()});
    for (const policy::ConsentRule& r : patient->rules) {
      if (!s.ok()) break;
      if (r.source != policy::RuleSource::kBppc) continue;
      s = Run(conn, kInsertRule, RuleRow(entry.patient_id(), r));
    }
    if (s.ok()) {
      s = Run(conn, "INSERT OR REPLACE INTO consent_bppc (patient_id, document, effective) VALUES (?, ?, ?)",
              {entry.patient_id(), patient->bppc_document, patient->bppc_effective});
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace xds::sqlite
