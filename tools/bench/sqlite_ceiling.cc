// Ceiling for the registration benchmark: the same number of rows per registration
// (1 SubmissionSet + N DocumentEntries + N Associations), each with indexed columns and a
// blob the size of a registered object, written straight into SQLite (WAL,
// synchronous=FULL) with no HTTP, XML or validation. Two modes: one transaction per
// registration (what a naive registry does), and groups of registrations per transaction
// (what the registry's group commit does).
//
// usage: sqlite_ceiling DIR DOCS_PER_REGISTRATION SECONDS GROUP_SIZE
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", err);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sqlite_ceiling DIR DOCS_PER_REGISTRATION SECONDS GROUP_SIZE\n");
    return 2;
  }
  std::string path = std::string(argv[1]) + "/ceiling.sqlite";
  int docs = std::atoi(argv[2]);
  double seconds = std::atof(argv[3]);
  int group = std::atoi(argv[4]);
  std::remove(path.c_str());
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  Exec(db,
       "CREATE TABLE objects(uuid TEXT PRIMARY KEY, kind INT, patient TEXT, status INT, unique_id TEXT,"
       " class_code TEXT, creation_time TEXT, source TEXT, target TEXT, blob BLOB);"
       "CREATE INDEX o_patient ON objects(patient, status, class_code, creation_time);"
       "CREATE INDEX o_unique ON objects(unique_id);"
       "CREATE INDEX o_source ON objects(source); CREATE INDEX o_target ON objects(target);");
  sqlite3_stmt* insert;
  sqlite3_prepare_v2(db, "INSERT INTO objects VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &insert, nullptr);
  std::string blob(1500, 'x');  // about the size of a serialized DocumentEntry
  auto start = std::chrono::steady_clock::now();
  std::vector<double> latencies;
  long registrations = 0, row = 0;
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(t0 - start).count() >= seconds) break;
    Exec(db, "BEGIN");
    for (int g = 0; g < group; ++g, ++registrations) {
      for (int i = 0; i < 1 + 2 * docs; ++i, ++row) {
        std::string id = "urn:uuid:" + std::to_string(row);
        std::string uid = "2.25." + std::to_string(row);
        sqlite3_bind_text(insert, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(insert, 2, i % 3);
        sqlite3_bind_text(insert, 3, "P1^^^&1.2.3&ISO", -1, SQLITE_STATIC);
        sqlite3_bind_int(insert, 4, 1);
        sqlite3_bind_text(insert, 5, uid.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 6, "11502-2", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 7, "20250301101500", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 8, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 9, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 10, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE) {
          std::fprintf(stderr, "insert failed: %s\n", sqlite3_errmsg(db));
          return 1;
        }
        sqlite3_reset(insert);
      }
    }
    Exec(db, "COMMIT");
    auto t1 = std::chrono::steady_clock::now();
    latencies.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  std::printf("RESULT requests=%ld seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=0\n", registrations, elapsed,
              registrations / elapsed, pct(0.5), pct(0.99));
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return 0;
}
