#include "registry/shared/sqlite/group_commit_writer.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace xds::sqlite {

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Connection> conn, Options options)
    : options_(std::move(options)), conn_(std::move(conn)) {
  thread_ = std::thread([this] { Loop(); });
}

GroupCommitWriter::~GroupCommitWriter() { Shutdown(); }

absl::Status GroupCommitWriter::Run(Item& item) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError(absl::StrCat(options_.name, " is shutting down"));
  item.done_ = false;
  queue_.push_back(&item);
  queue_cv_.notify_one();
  item.cv_.wait(lock, [&item] { return item.done_; });
  return absl::OkStatus();
}

void GroupCommitWriter::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();  // the writer drains the queue before it exits
}

size_t GroupCommitWriter::QueueLength() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void GroupCommitWriter::Loop() {
  const size_t max_batch = options_.max_batch == 0 ? 1 : options_.max_batch;
  std::vector<Item*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left to write
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    WriteBatch(batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Item* item : batch) {
        item->done_ = true;
        item->cv_.notify_one();  // under the lock: the item (and its cv) dies once its caller wakes
      }
    }
    batch.clear();
  }
}

void GroupCommitWriter::WriteBatch(absl::Span<Item* const> batch) {
  absl::Status status = options_.before_batch ? options_.before_batch(*conn_, batch) : absl::OkStatus();
  if (status.ok()) status = ApplyBatch(batch);
  if (status.ok()) status = conn_->Exec("COMMIT");  // the batch's one fsync
  // Nothing of this batch is durable now; the items decide what their callers hear.
  if (!status.ok() && conn_->InTransaction()) conn_->Exec("ROLLBACK").IgnoreError();
  for (Item* item : batch) item->Finish(status);
  if (options_.after_batch) options_.after_batch(*conn_, batch);
}

absl::Status GroupCommitWriter::ApplyBatch(absl::Span<Item* const> batch) {
  Connection& conn = *conn_;
  if (absl::Status s = conn.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  for (Item* item : batch) {
    if (absl::Status s = conn.Exec("SAVEPOINT item"); !s.ok()) return s;
    absl::StatusOr<Outcome> outcome = item->Apply(conn);
    if (!outcome.ok()) return outcome.status();
    if (*outcome == Outcome::kUndo) {
      if (absl::Status s = conn.Exec("ROLLBACK TO item"); !s.ok()) return s;
    }
    if (absl::Status s = conn.Exec("RELEASE item"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace xds::sqlite
