// Schema of the SQLite metadata store and its versioned migrations (PRAGMA user_version).
#ifndef XDS_REGISTRY_STORE_SQLITE_SCHEMA_H_
#define XDS_REGISTRY_STORE_SQLITE_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "registry/shared/sqlite/sqlite_connection.h"

namespace xds::sqlite {

// kind column of object_codes: which multi-valued code list a row belongs to.
enum CodeKind : int64_t { kConfidentialityCode = 1, kEventCode = 2, kFolderCode = 3 };

// Migration i (0-based) brings the schema from user_version i to i+1. Append only: never
// edit a migration that has shipped.
const std::vector<std::string>& Migrations();

// Applies the missing migrations on the write connection, each in its own transaction.
// Fails when the file was written by a newer build (user_version beyond what we know).
absl::Status Migrate(Connection& conn);

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_STORE_SQLITE_SCHEMA_H_
