// Lets at most N callers through at a time, in the order they arrived. The registry admits
// LeafClass stored queries through one: with thread-per-connection, 32 concurrent LeafClass
// clients on 2 cores were 32 runnable threads, and the scheduler's round robin among them
// stretched the 99th percentile to 2.5x the median. Admitted in arrival order, N at a time,
// each answer waits for the ones before it instead of sharing the cores with all of them.
#ifndef XDS_REGISTRY_ITI18_FIFO_GATE_H_
#define XDS_REGISTRY_ITI18_FIFO_GATE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace xds {

class FifoGate {
 public:
  explicit FifoGate(int slots) : free_(slots < 1 ? 1 : slots) {}
  FifoGate(const FifoGate&) = delete;
  FifoGate& operator=(const FifoGate&) = delete;

  // Callers waiting for a slot now.
  size_t waiting() {
    std::lock_guard<std::mutex> lock(mu_);
    return waiters_.size();
  }

  // Holds one of the gate's slots for its lifetime.
  class Pass {
   public:
    explicit Pass(FifoGate& gate) : gate_(gate) { gate_.Enter(); }
    ~Pass() { gate_.Leave(); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    FifoGate& gate_;
  };

 private:
  struct Waiter {
    std::condition_variable cv;
    bool admitted = false;
  };

  void Enter() {
    std::unique_lock<std::mutex> lock(mu_);
    if (free_ > 0 && waiters_.empty()) {
      --free_;
      return;
    }
    Waiter me;
    waiters_.push_back(&me);
    me.cv.wait(lock, [&me] { return me.admitted; });
  }

  // Hands the slot straight to the longest waiter, so that a newcomer cannot take it first.
  void Leave() {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->admitted = true;
    next->cv.notify_one();
  }

  std::mutex mu_;
  int free_;
  std::deque<Waiter*> waiters_;
};

}  // namespace xds

#endif  // XDS_REGISTRY_ITI18_FIFO_GATE_H_
