// Administrative operations of the SQLite metadata store: statistics and online backup.
// Kept apart from the query code so that the two evolve independently.
#ifndef XDS_REGISTRY_STORE_SQLITE_ADMIN_H_
#define XDS_REGISTRY_STORE_SQLITE_ADMIN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "registry/shared/sqlite/sqlite_connection.h"
#include "registry/store/metadata_store.h"

namespace xds::sqlite {

// Counts read on `conn` inside one read transaction (a consistent snapshot); store_bytes
// is the size of `db_path` plus its -wal file.
absl::StatusOr<StoreStats> ReadStats(Connection& conn, const std::string& db_path);

// Copies the database at `source_path` to `destination` with the SQLite online backup API
// on a connection of its own. The copy is written to `destination`.tmp-PID, made durable
// and renamed, so `destination` either does not exist or is complete. AlreadyExists when
// `destination` exists.
absl::Status BackupDatabase(const std::string& source_path, const std::string& destination);

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_STORE_SQLITE_ADMIN_H_
