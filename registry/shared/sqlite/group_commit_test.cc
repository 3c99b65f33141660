// GroupCommitWriter and ReaderPool on real database files under TEST_TMPDIR.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "registry/shared/sqlite/group_commit_writer.h"
#include "registry/shared/sqlite/reader_pool.h"

namespace xds::sqlite {
namespace {

using Outcome = GroupCommitWriter::Outcome;

std::string FreshPath() {
  static int n = 0;
  const char* base = std::getenv("TEST_TMPDIR");
  std::string path = std::string(base ? base : "/tmp") + "/group_commit" + std::to_string(++n) + ".sqlite";
  std::remove(path.c_str());
  return path;
}

std::unique_ptr<Connection> OpenWriter(const std::string& path) {
  auto conn = Connection::Open(path, /*read_only=*/false);
  EXPECT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE((*conn)
                  ->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         " CREATE TABLE t (k TEXT PRIMARY KEY)")
                  .ok());
  return *std::move(conn);
}

std::unique_ptr<ReaderPool> OpenReaders(const std::string& path, int count) {
  auto pool = ReaderPool::Open(path, count, /*read_only=*/true, "PRAGMA busy_timeout = 1000");
  EXPECT_TRUE(pool.ok()) << pool.status();
  return *std::move(pool);
}

int64_t CountRows(ReaderPool& pool, const std::string& key = "") {
  ReaderPool::Lease lease(pool);
  auto n = key.empty() ? lease.conn().QueryInt("SELECT COUNT(*) FROM t")
                       : lease.conn().QueryInt("SELECT COUNT(*) FROM t WHERE k = ?", {key});
  EXPECT_TRUE(n.ok()) << n.status();
  return n.value_or(-1);
}

// Inserts its key; `undo` asks for a rollback to its savepoint after writing, `fatal`
// fails the batch. `gate`, when set, holds Apply until it opens.
class InsertItem : public GroupCommitWriter::Item {
 public:
  explicit InsertItem(std::string key) : key_(std::move(key)) {}

  absl::StatusOr<Outcome> Apply(Connection& conn) override {
    if (gate) gate();
    applied = true;
    absl::StatusOr<Statement> insert = conn.Prepare("INSERT INTO t (k) VALUES (?)");
    if (!insert.ok()) return insert.status();
    if (absl::Status s = insert->BindAll({key_}); !s.ok()) return s;
    status = insert->Run();
    if (after_insert) after_insert();
    if (fatal) return absl::DataLossError("fatal item");
    return undo || !status.ok() ? Outcome::kUndo : Outcome::kKeep;
  }
  void Finish(const absl::Status& batch_status) override {
    finished = true;
    if (!batch_status.ok()) status = batch_status;
  }

  bool undo = false;
  bool fatal = false;
  std::function<void()> gate;
  std::function<void()> after_insert;
  bool applied = false;
  bool finished = false;
  absl::Status status;

 private:
  std::string key_;
};

// Records the size of every batch the writer starts.
struct BatchLog {
  std::mutex mu;
  std::vector<size_t> sizes;
  std::vector<size_t> Sizes() {
    std::lock_guard<std::mutex> lock(mu);
    return sizes;
  }
  GroupCommitWriter::Options Options(size_t max_batch) {
    GroupCommitWriter::Options options;
    options.max_batch = max_batch;
    options.name = "test store";
    options.before_batch = [this](Connection&, absl::Span<GroupCommitWriter::Item* const> batch) {
      std::lock_guard<std::mutex> lock(mu);
      sizes.push_back(batch.size());
      return absl::OkStatus();
    };
    return options;
  }
};

void WaitForQueue(const GroupCommitWriter& writer, size_t length) {
  while (writer.QueueLength() < length) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Keeps the writer busy with a batch of one item ("first") until Release(), so that what
// is queued meanwhile forms the next batches.
class HeldBatch {
 public:
  HeldBatch(GroupCommitWriter& writer, BatchLog& log) : item_("first") {
    item_.gate = [this] {
      while (!open_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    thread_ = std::thread([this, &writer] { EXPECT_TRUE(writer.Run(item_).ok()); });
    while (log.Sizes().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Release() {
    open_ = true;
    thread_.join();
    EXPECT_TRUE(item_.status.ok()) << item_.status;
  }

 private:
  InsertItem item_;
  std::atomic<bool> open_{false};
  std::thread thread_;
};

// Queues `items` from one thread each, in this order, and returns the threads.
std::vector<std::thread> QueueInOrder(GroupCommitWriter& writer, const std::vector<InsertItem*>& items) {
  std::vector<std::thread> threads;
  for (InsertItem* item : items) {
    threads.emplace_back([&writer, item] { EXPECT_TRUE(writer.Run(*item).ok()); });
    WaitForQueue(writer, threads.size());
  }
  return threads;
}

TEST(GroupCommitWriterTest, ConcurrentItemsShareBatchesUpToMax) {
  std::string path = FreshPath();
  BatchLog log;
  GroupCommitWriter writer(OpenWriter(path), log.Options(4));
  HeldBatch held(writer, log);

  // Queued concurrently, in no particular order.
  constexpr int kItems = 10;
  std::vector<std::unique_ptr<InsertItem>> items;
  std::vector<std::thread> threads;
  for (int i = 0; i < kItems; ++i) items.push_back(std::make_unique<InsertItem>("k" + std::to_string(i)));
  for (int i = 0; i < kItems; ++i) threads.emplace_back([&, i] { EXPECT_TRUE(writer.Run(*items[i]).ok()); });
  WaitForQueue(writer, kItems);
  held.Release();
  for (auto& t : threads) t.join();

  EXPECT_EQ(log.Sizes(), (std::vector<size_t>{1, 4, 4, 2}));
  for (auto& item : items) EXPECT_TRUE(item->status.ok()) << item->status;
  auto readers = OpenReaders(path, 1);
  EXPECT_EQ(CountRows(*readers), kItems + 1);
}

TEST(GroupCommitWriterTest, UndoneItemLeavesNothingAndNeighboursCommit) {
  std::string path = FreshPath();
  BatchLog log;
  GroupCommitWriter writer(OpenWriter(path), log.Options(16));
  HeldBatch held(writer, log);

  // One batch: a, an undone b, a constraint violation (duplicate a), c.
  InsertItem a("a"), b("b"), dup("a"), c("c");
  b.undo = true;
  std::vector<std::thread> threads = QueueInOrder(writer, {&a, &b, &dup, &c});
  held.Release();
  for (auto& t : threads) t.join();

  EXPECT_EQ(log.Sizes(), (std::vector<size_t>{1, 4}));
  EXPECT_TRUE(a.status.ok());
  EXPECT_TRUE(b.status.ok());  // its own choice to undo; the batch committed
  EXPECT_EQ(dup.status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(c.status.ok());
  auto readers = OpenReaders(path, 1);
  EXPECT_EQ(CountRows(*readers, "a"), 1);
  EXPECT_EQ(CountRows(*readers, "b"), 0);
  EXPECT_EQ(CountRows(*readers, "c"), 1);
}

TEST(GroupCommitWriterTest, FatalItemFailsWholeBatch) {
  std::string path = FreshPath();
  BatchLog log;
  GroupCommitWriter writer(OpenWriter(path), log.Options(16));
  HeldBatch held(writer, log);

  InsertItem a("a"), bad("bad"), c("c");
  bad.fatal = true;
  std::vector<std::thread> threads = QueueInOrder(writer, {&a, &bad, &c});
  held.Release();
  for (auto& t : threads) t.join();

  for (InsertItem* item : {&a, &bad, &c}) {
    EXPECT_TRUE(item->finished);
    EXPECT_EQ(item->status.code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_FALSE(c.applied);  // the batch stopped at the fatal item
  auto readers = OpenReaders(path, 1);
  EXPECT_EQ(CountRows(*readers), 1);  // only "first", from the batch before
  // The writer goes on with the next batch.
  InsertItem d("d");
  ASSERT_TRUE(writer.Run(d).ok());
  EXPECT_TRUE(d.status.ok());
  EXPECT_EQ(CountRows(*readers, "d"), 1);
}

TEST(GroupCommitWriterTest, ReadersSeeCommittedStateOnly) {
  std::string path = FreshPath();
  std::unique_ptr<Connection> conn = OpenWriter(path);
  auto readers = OpenReaders(path, 2);
  GroupCommitWriter writer(std::move(conn), GroupCommitWriter::Options());
  InsertItem item("x");
  int64_t seen_before_commit = -1;
  item.after_insert = [&] { seen_before_commit = CountRows(*readers, "x"); };
  ASSERT_TRUE(writer.Run(item).ok());
  ASSERT_TRUE(item.status.ok()) << item.status;
  EXPECT_EQ(seen_before_commit, 0);        // written, not yet committed
  EXPECT_EQ(CountRows(*readers, "x"), 1);  // committed before Run returned
}

TEST(GroupCommitWriterTest, ShutdownDrainsQueueThenRefuses) {
  std::string path = FreshPath();
  BatchLog log;
  auto writer = std::make_unique<GroupCommitWriter>(OpenWriter(path), log.Options(2));
  auto held = std::make_unique<HeldBatch>(*writer, log);
  std::vector<std::unique_ptr<InsertItem>> items;
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) items.push_back(std::make_unique<InsertItem>("k" + std::to_string(i)));
  for (int i = 0; i < 5; ++i) threads.emplace_back([&, i] { EXPECT_TRUE(writer->Run(*items[i]).ok()); });
  WaitForQueue(*writer, 5);
  std::thread stopper([&] { writer->Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let Shutdown begin waiting
  held->Release();
  stopper.join();
  for (auto& t : threads) t.join();
  for (auto& item : items) EXPECT_TRUE(item->finished && item->status.ok());

  InsertItem late("late");
  absl::Status refused = writer->Run(late);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(refused.message(), "test store is shutting down");
  EXPECT_FALSE(late.applied);
  writer.reset();
  auto readers = OpenReaders(path, 1);
  EXPECT_EQ(CountRows(*readers), 6);
}

TEST(ReaderPoolTest, LeasesAreExclusiveAndBlockWhenAllAreTaken) {
  std::string path = FreshPath();
  std::unique_ptr<Connection> writer = OpenWriter(path);
  auto pool = OpenReaders(path, 2);
  ASSERT_EQ(pool->size(), 2u);
  std::atomic<bool> third_leased{false};
  std::thread third;
  {
    ReaderPool::Lease one(*pool);
    ReaderPool::Lease two(*pool);
    EXPECT_NE(&one.conn(), &two.conn());
    third = std::thread([&] {
      ReaderPool::Lease lease(*pool);
      third_leased = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(third_leased);
  }
  third.join();
  EXPECT_TRUE(third_leased);

  // Under contention the pool never hands out more than its size.
  std::atomic<int> active{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        ReaderPool::Lease lease(*pool);
        int now = ++active;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        EXPECT_TRUE(lease.conn().QueryInt("SELECT COUNT(*) FROM t").ok());
        --active;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
}

}  // namespace
}  // namespace xds::sqlite
