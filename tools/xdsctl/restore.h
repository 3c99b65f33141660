// `xdsctl restore`: puts a backup in place of a stopped registry's store. Offline and local:
// it refuses while the registry's pid file names a live process.
#ifndef XDS_TOOLS_XDSCTL_RESTORE_H_
#define XDS_TOOLS_XDSCTL_RESTORE_H_

#include <string>

#include "absl/status/statusor.h"

namespace xds::ctl {

struct RestoreOptions {
  std::string backup;    // the file `xdsctl backup` wrote
  std::string data_dir;  // as for ./xds up --data: DIR/registry/registry.sqlite, DIR/registry.pid
  std::string pid_file;  // default: DATA/registry.pid
  std::string store;     // default: DATA/registry/registry.sqlite
};

struct RestoreResult {
  std::string store;           // where the backup now is
  std::string replaced;        // the previous store, kept under this name ("" when there was none)
  std::string trail;           // where BACKUP.audit went (DIR of the store/audit.sqlite; "" without one)
  std::string trail_replaced;  // the previous trail, kept under this name
};

// FailedPrecondition while the registry runs; NotFound when the backup is missing; InvalidArgument when it
// fails PRAGMA integrity_check or is not a registry store. The previous store (and its
// -wal) is renamed to STORE.replaced-TIMESTAMP, never deleted.
absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options);

// True when `pid_file` holds the pid of a live process.
bool PidFileShowsRunning(const std::string& pid_file, long* pid);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_RESTORE_H_
