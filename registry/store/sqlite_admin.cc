#include "registry/store/sqlite_admin.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"

namespace xds::sqlite {
namespace {

std::string StatusName(int64_t status) {
  switch (status) {
    case APPROVED:
      return "Approved";
    case DEPRECATED:
      return "Deprecated";
    default:
      return absl::StrCat("status-", status);
  }
}

// Runs a `SELECT key, COUNT(*) ... GROUP BY` and appends (key, count) rows.
absl::Status GroupCounts(Connection& conn, const std::string& sql, bool status_key,
                         std::vector<std::pair<std::string, int64_t>>* out) {
  absl::StatusOr<Statement> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    std::string key = status_key ? StatusName(stmt->ColumnInt64(0)) : stmt->ColumnText(0);
    out->emplace_back(std::move(key), stmt->ColumnInt64(1));
  }
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

absl::Status SqliteError(sqlite3* db, int rc, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

absl::Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path, " to sync it"));
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : absl::InternalError(absl::StrCat("fsync of ", path, " failed"));
}

}  // namespace

absl::StatusOr<StoreStats> ReadStats(Connection& conn, const std::string& db_path) {
  StoreStats stats;
  if (absl::Status s = conn.Exec("BEGIN"); !s.ok()) return s;
  absl::Status s = [&]() -> absl::Status {
    absl::StatusOr<int64_t> patients = conn.QueryInt("SELECT COUNT(*) FROM patients");
    if (!patients.ok()) return patients.status();
    stats.patients = *patients;
    absl::StatusOr<int64_t> associations = conn.QueryInt("SELECT COUNT(*) FROM associations");
    if (!associations.ok()) return associations.status();
    stats.associations = *associations;
    if (absl::Status g =
            GroupCounts(conn, "SELECT status, COUNT(*) FROM document_entries GROUP BY status ORDER BY status", true,
                        &stats.document_entries_by_status);
        !g.ok()) {
      return g;
    }
    if (absl::Status g =
            GroupCounts(conn, "SELECT status, COUNT(*) FROM submission_sets GROUP BY status ORDER BY status", true,
                        &stats.submission_sets_by_status);
        !g.ok()) {
      return g;
    }
    if (absl::Status g = GroupCounts(conn, "SELECT status, COUNT(*) FROM folders GROUP BY status ORDER BY status", true,
                                     &stats.folders_by_status);
        !g.ok()) {
      return g;
    }
    if (absl::Status g = GroupCounts(conn,
                                     "SELECT IFNULL(class_code, '') || '^^' || IFNULL(class_scheme, ''), COUNT(*) "
                                     "FROM document_entries GROUP BY 1 ORDER BY 2 DESC, 1",
                                     false, &stats.document_entries_by_class_code);
        !g.ok()) {
      return g;
    }
    return GroupCounts(conn,
                       "SELECT IFNULL(repository_unique_id, ''), COUNT(*) FROM document_entries "
                       "GROUP BY 1 ORDER BY 2 DESC, 1",
                       false, &stats.document_entries_by_repository);
  }();
  absl::Status end = conn.Exec(s.ok() ? "COMMIT" : "ROLLBACK");
  if (!s.ok()) return s;
  if (!end.ok()) return end;
  stats.store_bytes = FileSize(db_path) + FileSize(db_path + "-wal");
  return stats;
}

absl::Status BackupDatabase(const std::string& source_path, const std::string& destination) {
  std::error_code ec;
  if (std::filesystem::exists(destination, ec)) {
    return absl::AlreadyExistsError(absl::StrCat(destination, " already exists; backups never overwrite"));
  }
  std::string tmp = absl::StrCat(destination, ".tmp-", getpid());
  std::filesystem::remove(tmp, ec);

  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto close_all = [&]() {
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
    src = dst = nullptr;
  };
  int rc = sqlite3_open_v2(source_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(src, rc, "cannot open the store for backup");
    close_all();
    return s;
  }
  sqlite3_busy_timeout(src, 10000);
  rc = sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(dst, rc, absl::StrCat("cannot create ", tmp));
    close_all();
    std::filesystem::remove(tmp, ec);
    return s;
  }
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (!backup) {
    absl::Status s = SqliteError(dst, SQLITE_ERROR, "backup could not start");
    close_all();
    std::filesystem::remove(tmp, ec);
    return s;
  }
  // All pages in one step: the source connection holds one read transaction, i.e. one WAL
  // snapshot, for the whole copy. In WAL mode that does not block the writer, and the copy
  // is exactly some committed state (whole group commits, never half a submission).
  // Copying in slices would restart whenever the writer commits and might never finish
  // under steady load.
  do {
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  int finish = sqlite3_backup_finish(backup);
  absl::Status s;
  if (rc != SQLITE_DONE) {
    s = SqliteError(nullptr, rc, "backup failed");
  } else if (finish != SQLITE_OK) {
    s = SqliteError(dst, finish, "backup failed");
  } else {
    // The copy is a standalone single file (no -wal beside it), ready to be copied over a
    // registry's registry.sqlite.
    char* err = nullptr;
    if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
      s = absl::InternalError(absl::StrCat("backup: ", err ? err : "journal_mode failed"));
    }
    sqlite3_free(err);
  }
  close_all();
  if (s.ok()) s = FsyncPath(tmp, false);
  if (s.ok()) {
    // link() refuses an existing destination, so a concurrent backup to the same name
    // cannot be overwritten either.
    if (::link(tmp.c_str(), destination.c_str()) != 0) {
      s = errno == EEXIST ? absl::AlreadyExistsError(absl::StrCat(destination, " already exists"))
                          : absl::InternalError(absl::StrCat("cannot create ", destination));
    }
  }
  std::filesystem::remove(tmp, ec);
  if (s.ok()) {
    std::string dir = std::filesystem::path(destination).parent_path().string();
    s = FsyncPath(dir.empty() ? "." : dir, true);
  }
  return s;
}

}  // namespace xds::sqlite
