#include "tools/xdsctl/restore.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tools/xdsctl/submission_builder.h"

namespace xds::ctl {
namespace {

namespace fs = std::filesystem;

// Opens the backup read-only and checks it is a sound registry store.
absl::Status CheckBackup(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return absl::InvalidArgumentError(path + " cannot be opened as a SQLite database");
  }
  auto single = [&](const char* sql) -> std::string {
    sqlite3_stmt* stmt = nullptr;
    std::string v = "<error>";
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, 0);
      v = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(stmt);
    return v;
  };
  std::string integrity = single("PRAGMA integrity_check");
  std::string tables = single(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
      "('patients', 'document_entries', 'submission_sets', 'folders', 'associations')");
  sqlite3_close(db);
  if (integrity != "ok") return absl::InvalidArgumentError(path + " fails PRAGMA integrity_check: " + integrity);
  if (tables != "5") return absl::InvalidArgumentError(path + " is not a registry store (tables missing)");
  return absl::OkStatus();
}

absl::Status CopyDurably(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot copy ", from, " to ", to, ": ", ec.message()));
  int fd = ::open(to.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError("cannot sync " + to);
  }
  ::close(fd);
  return absl::OkStatus();
}

// Puts `from` in place of the database `to`, keeping a previous one (and its WAL) aside.
absl::Status Install(const std::string& from, const std::string& to, std::string* replaced) {
  std::error_code ec;
  std::string tmp = to + ".restoring";
  if (absl::Status s = CopyDurably(from, tmp); !s.ok()) return s;
  if (fs::exists(to, ec)) {
    // Keep the previous file with its WAL (same base name + "-wal"), so it can still be
    // opened should the restore have been a mistake.
    *replaced = to + ".replaced-" + NowDtm();
    fs::rename(to, *replaced, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot move ", to, " aside: ", ec.message()));
    if (fs::exists(to + "-wal", ec)) fs::rename(to + "-wal", *replaced + "-wal", ec);
  }
  fs::remove(to + "-wal", ec);
  fs::remove(to + "-shm", ec);
  fs::rename(tmp, to, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot move ", tmp, " to ", to, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

bool PidFileShowsRunning(const std::string& pid_file, long* pid) {
  std::ifstream in(pid_file);
  long p = 0;
  if (!(in >> p) || p <= 0) return false;
  if (pid) *pid = p;
  return ::kill(static_cast<pid_t>(p), 0) == 0 || errno == EPERM;
}

absl::StatusOr<RestoreResult> Restore(const RestoreOptions& o) {
  if (o.backup.empty()) return absl::InvalidArgumentError("restore needs the BACKUP file");
  if (o.data_dir.empty() && (o.store.empty() || o.pid_file.empty())) {
    return absl::InvalidArgumentError("restore needs --data DIR (or --store and --pid-file)");
  }
  std::string store = o.store.empty() ? o.data_dir + "/registry/registry.sqlite" : o.store;
  std::string pid_file = o.pid_file.empty() ? o.data_dir + "/registry.pid" : o.pid_file;
  long pid = 0;
  if (PidFileShowsRunning(pid_file, &pid)) {
    return absl::FailedPreconditionError(absl::StrCat("the registry is running (pid ", pid, ", ", pid_file,
                                                      "); stop it first (./xds down, or systemctl stop xds-registry)"));
  }
  std::error_code ec;
  if (!fs::exists(o.backup, ec)) return absl::NotFoundError(o.backup + " does not exist");
  if (absl::Status s = CheckBackup(o.backup); !s.ok()) return s;

  fs::create_directories(fs::path(store).parent_path(), ec);
  RestoreResult result;
  result.store = store;
  if (absl::Status s = Install(o.backup, store, &result.replaced); !s.ok()) return s;
  // The audit trail, in a file of its own next to the store (backup writes BACKUP.audit;
  // backups made before it lack one, and the registry then starts a new trail).
  const std::string trail_backup = o.backup + ".audit";
  if (fs::exists(trail_backup, ec)) {
    result.trail = (fs::path(store).parent_path() / "audit.sqlite").string();
    if (absl::Status s = Install(trail_backup, result.trail, &result.trail_replaced); !s.ok()) return s;
  }
  return result;
}

}  // namespace xds::ctl
