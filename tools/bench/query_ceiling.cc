// Ceiling for the query benchmark: the FindDocuments lookup (patient + status + classCode
// list) as one indexed SQLite SELECT on the registry's own file, from THREADS threads with
// read-only connections, random patients. SHAPE `blob` (the default) fetches the stored
// objects, as a LeafClass answer needs; `ids` fetches the entryUUIDs only, as an ObjectRef
// answer needs (read from the covering index).
//
// usage: query_ceiling DB_FILE PATIENTS THREADS SECONDS [blob|ids]
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const std::string shape = argc == 6 ? argv[5] : "blob";
  if ((argc != 5 && argc != 6) || (shape != "blob" && shape != "ids")) {
    std::fprintf(stderr, "usage: query_ceiling DB_FILE PATIENTS THREADS SECONDS [blob|ids]\n");
    return 2;
  }
  const std::string select = shape == "ids" ? "SELECT entry_uuid" : "SELECT blob";
  std::string path = argv[1];
  long patients = std::atol(argv[2]);
  int threads = std::atoi(argv[3]);
  double seconds = std::atof(argv[4]);
  std::atomic<long> queries{0}, rows{0};
  std::mutex mu;
  std::vector<double> latencies;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      sqlite3* db;
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_exec(db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384", nullptr, nullptr, nullptr);
      sqlite3_stmt* stmt;
      const std::string sql = select +
                              " FROM document_entries WHERE patient_id = ? AND status = 1 AND "
                              "class_scheme = '2.16.840.1.113883.6.1' AND class_code IN "
                              "('11502-2','34133-9','18842-5','57133-1','11488-4')";
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
        std::exit(1);
      }
      std::mt19937_64 rng(t + 1);
      std::vector<double> mine;
      while (std::chrono::steady_clock::now() < deadline) {
        auto t0 = std::chrono::steady_clock::now();
        std::string pid = "BENCH-" + std::to_string(rng() % patients) + "^^^&1.3.6.1.4.1.21367.2005.3.7&ISO";
        sqlite3_bind_text(stmt, 1, pid.c_str(), -1, SQLITE_TRANSIENT);
        long n = 0;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
          n += sqlite3_column_bytes(stmt, 0) > 0;
        }
        sqlite3_reset(stmt);
        rows += n;
        ++queries;
        mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : pool) th.join();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  std::printf("RESULT requests=%ld seconds=%.2f rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=0 rows_per_query=%.1f\n",
              queries.load(), seconds, queries / seconds, pct(0.5), pct(0.99), queries ? double(rows) / queries : 0.0);
  return 0;
}
