#include "registry/iti18/fifo_gate.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace xds {
namespace {

void WaitUntil(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(FifoGate, NeverLetsMoreThanItsSlotsThrough) {
  FifoGate gate(3);
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 24; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        FifoGate::Pass pass(gate);
        int now = ++inside;
        for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --inside;
      }
      ++done;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done, 24);
  EXPECT_EQ(most, 3);  // full use of the slots, never more
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(FifoGate, AdmitsWaitersInArrivalOrder) {
  FifoGate gate(1);
  std::vector<int> order;
  std::mutex order_mu;
  std::vector<std::thread> threads;
  {
    FifoGate::Pass holder(gate);
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        FifoGate::Pass pass(gate);
        std::lock_guard<std::mutex> lock(order_mu);
        order.push_back(i);
      });
      WaitUntil([&] { return gate.waiting() == static_cast<size_t>(i + 1); });
    }
  }  // the holder leaves: the waiters go through one by one, first come first
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(FifoGate, ANewcomerDoesNotOvertakeAWaiter) {
  FifoGate gate(1);
  std::vector<std::string> order;
  std::mutex order_mu;
  auto record = [&](const char* who) {
    std::lock_guard<std::mutex> lock(order_mu);
    order.push_back(who);
  };
  auto holder = std::make_unique<FifoGate::Pass>(gate);
  std::thread waiter([&] {
    FifoGate::Pass pass(gate);
    record("waiter");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  WaitUntil([&] { return gate.waiting() == 1; });
  holder.reset();  // the slot goes to the waiter, not to whoever asks next
  {
    FifoGate::Pass newcomer(gate);
    record("newcomer");
  }
  waiter.join();
  EXPECT_EQ(order, (std::vector<std::string>{"waiter", "newcomer"}));
}

}  // namespace
}  // namespace xds
