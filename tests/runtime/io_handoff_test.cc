// The reactor -> worker hand-off (core::WakeBatchScope, park spinning):
//  - every task woken inside one batch is polled once the batch ends, and
//    none before (conservation);
//  - no wake is lost while workers spin before parking, with or without a
//    batch (bounded stress);
//  - an idle runtime parks: the spin is bounded (counted in metrics, not
//    timed), in both I/O driver modes, also with a long timer and a socket
//    read pending (with worker-driven I/O one worker then sleeps in
//    epoll_wait, and must stay there).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/magpie_reactor.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/poll_fn.h"
#include "runtime/core/wake_batch.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Watchdog;

// One task's rendezvous: the task registers its waker, then waits for
// `go`; the test sets `go` and wakes it.
struct Slot {
  AtomicWaker waker;
  core::Atomic<bool> go{false};
  core::Atomic<bool> registered{false};
  core::Atomic<int> polls{0};
};

Task<void> wait_on(Slot* slot) {
  auto f = poll_fn([slot](Context& cx) -> Poll<void> {
    slot->polls.fetch_add(1, std::memory_order_relaxed);
    slot->waker.register_waker(cx.waker());
    slot->registered.store(true, std::memory_order_release);
    if (slot->go.load(std::memory_order_acquire)) return ready();
    return Pending;
  });
  co_await std::move(f);
}

void wait_until_registered(std::vector<std::unique_ptr<Slot>>& slots) {
  for (auto& slot : slots) {
    while (!slot->registered.load(std::memory_order_acquire)) {
      std::this_thread::yield();
    }
  }
}

TEST(IoHandoffTest, EveryTaskWokenInOneBatchIsPolledAfterTheBatchEnds) {
  constexpr int kTasks = 300;  // more than one push_batch chunk
  Watchdog dog("batched wakes delivered", seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  Runtime other = Runtime::Builder().worker_threads(1).build();
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < kTasks; ++i) {
    slots.push_back(std::make_unique<Slot>());
    // Two runtimes in one batch: each gets its own group.
    Runtime& target = i % 3 == 0 ? other : rt;
    handles.push_back(target.spawn(wait_on(slots.back().get())));
  }
  wait_until_registered(slots);
  std::vector<int> polls_before;
  for (auto& slot : slots) polls_before.push_back(slot->polls.load());
  {
    core::WakeBatchScope batch;  // this thread is no worker: like the reactor
    for (auto& slot : slots) {
      slot->go.store(true, std::memory_order_release);
      slot->waker.wake();
    }
    // Held in the batch, not queued: nothing can poll them yet.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (int i = 0; i < kTasks; ++i) {
      EXPECT_EQ(slots[i]->polls.load(), polls_before[i]) << "task " << i;
    }
  }
  for (int i = 0; i < kTasks; ++i) {
    Runtime& target = i % 3 == 0 ? other : rt;
    target.block_on(std::move(handles[i]));
    EXPECT_GT(slots[i]->polls.load(), polls_before[i]);
  }
}

// An external thread wakes tasks with random gaps around the spin window,
// half the rounds inside a batch; every task must finish.
TEST(IoHandoffTest, NoLostWakeWhileWorkersSpinBeforeParking) {
  constexpr int kRounds = 300;
  constexpr int kTasksPerRound = 4;
  Watchdog dog("no lost wake with park spinning", seconds(120));
  for (auto spin : {std::chrono::nanoseconds(0), std::chrono::nanoseconds(2000),
                    std::chrono::nanoseconds(50'000)}) {
    Runtime rt = Runtime::Builder().worker_threads(2).park_spin(spin).build();
    std::mt19937 rng(static_cast<unsigned>(spin.count()) + 1);
    std::uniform_int_distribution<int> gap_us(0, 80);
    for (int round = 0; round < kRounds; ++round) {
      std::vector<std::unique_ptr<Slot>> slots;
      std::vector<JoinHandle<void>> handles;
      for (int i = 0; i < kTasksPerRound; ++i) {
        slots.push_back(std::make_unique<Slot>());
        handles.push_back(rt.spawn(wait_on(slots.back().get())));
      }
      wait_until_registered(slots);
      const auto until = std::chrono::steady_clock::now() +
                         std::chrono::microseconds(gap_us(rng));
      while (std::chrono::steady_clock::now() < until) {
      }
      {
        std::optional<core::WakeBatchScope> batch;
        if (round % 2 == 0) batch.emplace();
        for (auto& slot : slots) {
          slot->go.store(true, std::memory_order_release);
          slot->waker.wake();
        }
      }
      for (auto& handle : handles) rt.block_on(std::move(handle));
    }
  }
}

bool all_parked(const RuntimeMetrics& m) {
  for (const WorkerMetrics& w : m.workers) {
    if (w.parks != w.unparks + 1) return false;
  }
  return true;
}

// Every worker ends up asleep and stays asleep: a quiet 20 ms window with
// every worker parked and no park, unpark or spin in it. A worker that spun
// or cycled forever (in the driver too: each driver turn ends a park) would
// never give one (the watchdog fails the test). One window is not enough by
// itself: a worker a notifier has taken off the sleepers list still counts
// as parked in the metrics until its futex wake lands, and then runs one
// search and parks again (seen under TSan, ~1 run in 30).
bool EventuallyQuiet(const Runtime& rt) {
  auto same = [](const RuntimeMetrics& a, const RuntimeMetrics& b) {
    for (std::size_t i = 0; i < a.workers.size(); ++i) {
      if (a.workers[i].parks != b.workers[i].parks ||
          a.workers[i].unparks != b.workers[i].unparks ||
          a.workers[i].spin_hits != b.workers[i].spin_hits) {
        return false;
      }
    }
    return true;
  };
  constexpr int kMaxWindows = 250;  // 5 s of 20 ms windows
  for (int w = 0; w < kMaxWindows; ++w) {
    const RuntimeMetrics before = rt.metrics();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const RuntimeMetrics after = rt.metrics();
    if (all_parked(before) && same(before, after)) return true;
  }
  return false;
}

class IdleTest : public ::testing::TestWithParam<IoDriver> {};

TEST_P(IdleTest, AnIdleRuntimeParksDespiteALongSpin) {
  Watchdog dog("idle runtime parks", seconds(60));
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .io_driver(GetParam())
                   .park_spin(std::chrono::milliseconds(2))
                   .build();
  for (int i = 0; i < 10; ++i) {
    auto f = []() -> Task<void> { co_return; };
    rt.block_on(rt.spawn(f()));
  }
  EXPECT_TRUE(EventuallyQuiet(rt))
      << "no quiet 20 ms window in 5 s: a worker keeps spinning or cycling "
         "while idle";
}

TEST_P(IdleTest, AnIdleRuntimeWithATimerAndASocketPendingParks) {
  Watchdog dog("idle runtime with pending I/O parks", seconds(60));
  Runtime rt =
      Runtime::Builder().worker_threads(2).io_driver(GetParam()).build();
  absl::StatusOr<net::TcpListener> listener = [&] {
    Handle::EnterGuard enter = rt.handle().enter();
    return net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
  }();
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto sleeper = []() -> Task<void> { co_await sleep(std::chrono::hours(1)); };
  auto acceptor = [](net::TcpListener l) -> Task<bool> {
    auto accepted = co_await l.accept();
    co_return accepted.ok();
  };
  JoinHandle<void> sleeping = rt.spawn(sleeper());
  JoinHandle<bool> accepting = rt.spawn(acceptor(*std::move(listener)));
  EXPECT_TRUE(EventuallyQuiet(rt))
      << "no quiet 20 ms window in 5 s with a timer and a socket pending: "
         "a worker keeps turning the driver or cycling while idle";
  sleeping.abort();
  accepting.abort();
}

INSTANTIATE_TEST_SUITE_P(Modes, IdleTest,
                         ::testing::Values(IoDriver::kReactorThread,
                                           IoDriver::kWorkers),
                         [](const ::testing::TestParamInfo<IoDriver>& info) {
                           return std::string(info.param == IoDriver::kWorkers
                                                  ? "IoOnWorkers"
                                                  : "ReactorThread");
                         });

}  // namespace
}  // namespace magpie
