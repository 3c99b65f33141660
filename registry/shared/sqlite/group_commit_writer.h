// Group commit over one read-write SQLite connection, shared by the registry's metadata
// store and the repository's document index.
//
// One writer thread owns the connection. Callers hand it an Item and wait; the writer takes
// everything queued (up to max_batch items) into one BEGIN IMMEDIATE ... COMMIT, each item
// inside its own SAVEPOINT, so that with synchronous=FULL in WAL mode the COMMIT is the one
// fsync the whole batch shares. An item that asks to be undone is rolled back to its
// savepoint alone while its neighbours commit; later items of the batch see what earlier
// ones wrote.
//
// A batch-level failure (BEGIN, SAVEPOINT, ROLLBACK TO, COMMIT, an item's fatal error, the
// before_batch hook) rolls back the whole transaction: nothing of the batch is durable,
// and every item's Finish is told so.
#ifndef XDS_REGISTRY_SHARED_SQLITE_GROUP_COMMIT_WRITER_H_
#define XDS_REGISTRY_SHARED_SQLITE_GROUP_COMMIT_WRITER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "registry/shared/sqlite/sqlite_connection.h"

namespace xds::sqlite {

class GroupCommitWriter {
 public:
  // What an item's Apply asks of the writer.
  enum class Outcome {
    kKeep,  // release the item's savepoint: its writes commit with the batch
    kUndo,  // roll back to the item's savepoint: it leaves nothing, its neighbours go on
  };

  // One queued write. Lives wherever its caller likes (typically the caller's stack) until
  // Run returns; the writer never keeps a pointer to it after that.
  class Item {
   public:
    virtual ~Item() = default;

    // Writer thread, inside the batch transaction and this item's SAVEPOINT. A non-OK
    // status fails the whole batch (I/O, full disk: nothing of it may commit). The item
    // keeps its own result (refusals, errors that concern only it) in its own fields.
    virtual absl::StatusOr<Outcome> Apply(Connection& conn) = 0;

    // Writer thread, once the batch is over: `batch_status` is OK when the batch committed,
    // else the failure that rolled all of it back (this item's Apply may not have run).
    virtual void Finish(const absl::Status& batch_status) { (void)batch_status; }

   private:
    friend class GroupCommitWriter;
    bool done_ = false;           // guarded by the writer's queue mutex
    std::condition_variable cv_;  // wakes just this item's caller (no herd on each batch)
  };

  struct Options {
    // Upper bound on the items of one transaction (0 is taken as 1).
    size_t max_batch = 256;
    // Names the store in the error Run returns once shut down: "<name> is shutting down".
    std::string name = "sqlite store";
    // Writer thread, before BEGIN of every batch (e.g. per-batch PRAGMAs). An error fails
    // the batch: no item is applied.
    std::function<absl::Status(Connection&, absl::Span<Item* const>)> before_batch;
    // Writer thread, after COMMIT (or ROLLBACK) and every item's Finish, before any caller
    // of the batch is woken.
    std::function<void(Connection&, absl::Span<Item* const>)> after_batch;
  };

  // Starts the writer thread, which owns `conn` from here on.
  GroupCommitWriter(std::unique_ptr<Connection> conn, Options options);
  // Shutdown().
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Queues `item` and blocks until its batch is over (its Finish has run). The item's own
  // fields carry its result. Returns Unavailable without running the item once Shutdown
  // has begun.
  absl::Status Run(Item& item);

  // Refuses new items, lets the writer finish everything already queued, and joins it.
  // Idempotent.
  void Shutdown();

  // Items queued and not yet taken into a batch.
  size_t QueueLength() const;

 private:
  void Loop();
  void WriteBatch(absl::Span<Item* const> batch);
  // Runs every item of `batch` inside one transaction; the first batch-level failure.
  absl::Status ApplyBatch(absl::Span<Item* const> batch);

  const Options options_;
  std::unique_ptr<Connection> conn_;  // the writer thread's only

  mutable std::mutex mu_;
  std::condition_variable queue_cv_;  // work for the writer
  std::deque<Item*> queue_;
  bool stopping_ = false;
  std::mutex join_mu_;  // one Shutdown joins
  std::thread thread_;
};

}  // namespace xds::sqlite

#endif  // XDS_REGISTRY_SHARED_SQLITE_GROUP_COMMIT_WRITER_H_
