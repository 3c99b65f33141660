#include "registry/shared/sqlite/reader_pool.h"

#include <utility>

namespace xds::sqlite {

absl::StatusOr<std::unique_ptr<ReaderPool>> ReaderPool::Open(const std::string& path, int count, bool read_only,
                                                             const std::string& setup_sql) {
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < (count < 1 ? 1 : count); ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(path, read_only);
    if (!conn.ok()) return conn.status();
    if (absl::Status s = (*conn)->Exec(setup_sql); !s.ok()) return s;
    connections.push_back(*std::move(conn));
  }
  return std::make_unique<ReaderPool>(std::move(connections));
}

ReaderPool::ReaderPool(std::vector<std::unique_ptr<Connection>> connections) : connections_(std::move(connections)) {
  for (auto& c : connections_) free_.push_back(c.get());
}

ReaderPool::Lease::Lease(ReaderPool& pool) : pool_(pool) {
  std::unique_lock<std::mutex> lock(pool_.mu_);
  pool_.cv_.wait(lock, [this] { return !pool_.free_.empty(); });
  conn_ = pool_.free_.back();
  pool_.free_.pop_back();
}

ReaderPool::Lease::~Lease() {
  {
    std::lock_guard<std::mutex> lock(pool_.mu_);
    pool_.free_.push_back(conn_);
  }
  pool_.cv_.notify_one();
}

}  // namespace xds::sqlite
