// Thin RAII layer over one sqlite3 connection: per-connection prepared statement cache and
// absl::Status errors. Not thread-safe: a Connection belongs to one thread at a time (the
// writer thread, or whoever leased it from the reader pool).
#ifndef XDS_REGISTRY_SHARED_SQLITE_SQLITE_CONNECTION_H_
#define XDS_REGISTRY_SHARED_SQLITE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xds::sqlite {

// A value bound to a `?` placeholder. monostate binds NULL.
using SqlValue = std::variant<std::monostate, int64_t, std::string>;

class Connection;

// A prepared statement borrowed from the connection's cache (or owned, when the cached one
// is already running). Move-only; resets itself and clears its bindings when destroyed so
// that the cached statement is ready for the next user.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, Connection* conn, bool owned) : stmt_(stmt), conn_(conn), owned_(owned) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Binds parameters 1..n in order; text uses SQLITE_TRANSIENT so values may die afterwards.
  absl::Status BindAll(const std::vector<SqlValue>& values);
  absl::Status Bind(int index, const SqlValue& value);
  absl::Status BindBlob(int index, absl::string_view bytes);

  // True when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps to completion, for statements that return no rows.
  absl::Status Run();

  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  int64_t ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string ColumnText(int col) const;
  absl::string_view ColumnBlob(int col) const;

 private:
  sqlite3_stmt* stmt_;
  Connection* conn_;
  bool owned_;
};

class Connection {
 public:
  // read_only opens with SQLITE_OPEN_READONLY; otherwise the file is created when absent.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL without parameters (DDL, PRAGMA, BEGIN/COMMIT). Never pass values in `sql`.
  absl::Status Exec(const std::string& sql);
  // Prepares (or reuses) a statement. The cache is keyed by SQL text.
  absl::StatusOr<Statement> Prepare(const std::string& sql);
  // Single-row integer query helper (PRAGMA user_version, COUNT(*), changes...).
  absl::StatusOr<int64_t> QueryInt(const std::string& sql, const std::vector<SqlValue>& params = {});

  // Status for the connection's last error, `what` naming the operation.
  absl::Status Error(int rc, absl::string_view what) const;
  sqlite3* db() const { return db_; }
  int64_t Changes() const { return sqlite3_changes(db_); }
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // Dynamic filter shapes could grow this without bound; it is flushed past a cap.
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_SHARED_SQLITE_SQLITE_CONNECTION_H_
