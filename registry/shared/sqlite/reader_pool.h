// A fixed pool of reader connections to one SQLite file, leased RAII-style. In WAL mode
// each leased connection reads the last committed state while a GroupCommitWriter works.
#ifndef XDS_REGISTRY_SHARED_SQLITE_READER_POOL_H_
#define XDS_REGISTRY_SHARED_SQLITE_READER_POOL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/shared/sqlite/sqlite_connection.h"

namespace xds::sqlite {

class ReaderPool {
 public:
  // Opens `count` (at least one) connections to `path`, running `setup_sql` (PRAGMAs) on
  // each. read_only as for Connection::Open.
  static absl::StatusOr<std::unique_ptr<ReaderPool>> Open(const std::string& path, int count, bool read_only,
                                                          const std::string& setup_sql);

  explicit ReaderPool(std::vector<std::unique_ptr<Connection>> connections);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Exclusive use of one connection for the lease's lifetime; blocks while every
  // connection is leased.
  class Lease {
   public:
    explicit Lease(ReaderPool& pool);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& conn() const { return *conn_; }

   private:
    ReaderPool& pool_;
    Connection* conn_;
  };

  size_t size() const { return connections_.size(); }

 private:
  std::vector<std::unique_ptr<Connection>> connections_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Connection*> free_;
};

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_SHARED_SQLITE_READER_POOL_H_
