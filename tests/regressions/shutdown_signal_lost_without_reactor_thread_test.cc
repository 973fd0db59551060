// Regression: with worker-driven I/O (IoDriver::kWorkers) there is no
// reactor thread, and the example servers blocked SIGINT/SIGTERM in every
// worker, every blocking thread and main (the old "only the reactor thread
// takes signals" pattern), so nobody ever ran the handler: SIGTERM was
// lost and the servers never shut down. Signals now need no masks
// (reactor/signal/signal.h). In both driver modes:
//  - a signal sent to each parked thread of an idle runtime in turn (the
//    worker waiting in the driver, the worker on its futex, main inside
//    block_on) reaches a waiting listener, once per signal;
//  - a storm of signals landing on the workers while they read, write,
//    wait in epoll and park loses no byte of an echo exchange and no timer.
// No timed assertions; watchdogs bound every wait. 127.0.0.1 only.

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/magpie_reactor.h"
#include "reactor/signal/signal.h"
#include "runtime/core/atomic.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

constexpr int kRounds = testing::ScaledForSanitizers(2000, 300);
constexpr std::size_t kWorkers = 2;
constexpr std::size_t kMessageSize = 64;
constexpr int kSleepEvery = 50;  // rounds between two 1 ms sleeps
constexpr auto kStormGap = std::chrono::microseconds(100);

// The kernel thread ids of the runtime's workers, recorded as they start.
struct ThreadIds {
  std::mutex mu;
  std::vector<pid_t> ids;
};

Runtime Build(IoDriver mode, ThreadIds* threads) {
  return Runtime::Builder()
      .worker_threads(kWorkers)
      .io_driver(mode)
      .on_thread_start([threads] {
        std::lock_guard<std::mutex> lock(threads->mu);
        threads->ids.push_back(static_cast<pid_t>(::gettid()));
      })
      .build();
}

// Every worker's id, once all have started.
std::vector<pid_t> Workers(ThreadIds& threads, std::size_t count) {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(threads.mu);
      if (threads.ids.size() >= count) return threads.ids;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
}

// A thread-directed signal: it lands on `tid` and nowhere else.
bool SendTo(pid_t tid, int sig) {
  return ::syscall(SYS_tgkill, ::getpid(), tid, sig) == 0;
}

// Best effort, no assertion: every worker asleep and nothing queued.
void WaitUntilIdle(const Runtime& rt) {
  for (int i = 0; i < 2000; ++i) {
    const RuntimeMetrics m = rt.metrics();
    bool parked = m.global_queue_depth == 0;
    for (const WorkerMetrics& w : m.workers) parked &= w.parks == w.unparks + 1;
    if (parked) break;
    std::this_thread::sleep_for(milliseconds(1));
  }
  std::this_thread::sleep_for(milliseconds(20));  // into epoll_wait / futex
}

class ShutdownSignalLostWithoutReactorThreadTest
    : public ::testing::TestWithParam<IoDriver> {};

TEST_P(ShutdownSignalLostWithoutReactorThreadTest,
       ASignalToEachParkedThreadOfAnIdleRuntimeIsDelivered) {
  Watchdog dog("signal to a parked runtime thread", seconds(60));
  ThreadIds threads;
  Runtime rt = Build(GetParam(), &threads);
  const pid_t main_thread = static_cast<pid_t>(::gettid());
  core::Atomic<int> listening{0};
  core::Atomic<int> seen{0};
  constexpr int kTargets = 3;  // worker 0, worker 1, main in block_on

  auto listen = [&]() -> Task<int> {
    absl::StatusOr<signal::Signal> usr1 = signal::signal(SIGUSR1);
    if (!usr1.ok()) co_return -1;
    listening.store(1, std::memory_order_release);
    for (int i = 0; i < kTargets; ++i) {
      if (!(co_await usr1->recv()).ok()) co_return -2;
      seen.store(i + 1, std::memory_order_release);
    }
    co_return kTargets;
  };
  std::thread sender([&] {
    while (listening.load(std::memory_order_acquire) == 0) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    std::vector<pid_t> targets = Workers(threads, kWorkers);
    targets.push_back(main_thread);
    for (int i = 0; i < kTargets; ++i) {
      WaitUntilIdle(rt);
      if (!SendTo(targets[static_cast<std::size_t>(i)], SIGUSR1)) return;
      // One delivery at a time, so none coalesces with the next.
      while (seen.load(std::memory_order_acquire) != i + 1) {
        std::this_thread::sleep_for(milliseconds(1));
      }
    }
  });
  const int got = rt.block_on(rt.spawn(listen()));
  sender.join();
  EXPECT_EQ(Workers(threads, kWorkers).size(), kWorkers);
  EXPECT_EQ(got, kTargets);
  EXPECT_EQ(seen.load(std::memory_order_acquire), kTargets);
}

Task<absl::Status> Echo(net::TcpListener listener) {
  auto accepted = co_await listener.accept();
  if (!accepted.ok()) co_return accepted.status();
  net::TcpStream stream = std::move(accepted->first);
  std::vector<std::byte> buf(kMessageSize);
  while (true) {
    absl::StatusOr<std::size_t> n = co_await stream.read(buf);
    if (!n.ok()) co_return n.status();
    if (*n == 0) co_return absl::OkStatus();
    auto chunk = std::span<const std::byte>(buf.data(), *n);
    if (absl::Status s = co_await stream.write_all(chunk); !s.ok()) co_return s;
  }
}

// Returns the number of rounds whose echo came back byte for byte.
Task<int> Client(net::SocketAddr addr) {
  absl::StatusOr<net::TcpStream> stream =
      co_await net::TcpStream::connect(addr);
  if (!stream.ok()) co_return -1;
  std::vector<std::byte> out(kMessageSize);
  std::vector<std::byte> in(kMessageSize);
  int matched = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (std::size_t i = 0; i < kMessageSize; ++i) {
      out[i] =
          static_cast<std::byte>((round * 31 + static_cast<int>(i)) & 0xff);
    }
    if (!(co_await stream->write_all(out)).ok()) co_return matched;
    if (!(co_await stream->read_exact(in)).ok()) co_return matched;
    if (in == out) ++matched;
    if (round % kSleepEvery == 0) co_await sleep(milliseconds(1));
  }
  co_return matched;
}

TEST_P(ShutdownSignalLostWithoutReactorThreadTest,
       SignalsLandingOnTheWorkersMidSyscallLoseNothing) {
  Watchdog dog("echo under a signal storm", seconds(120));
  ThreadIds threads;
  Runtime rt = Build(GetParam(), &threads);
  Handle::EnterGuard enter = rt.handle().enter();
  // The handler is magpie's (a listener installed it), so the storm only
  // rings the signal pipe.
  absl::StatusOr<signal::Signal> usr2 = signal::signal(SIGUSR2);
  ASSERT_TRUE(usr2.ok()) << usr2.status();
  absl::StatusOr<net::TcpListener> listener =
      net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const net::SocketAddr addr = *listener->local_addr();

  core::Atomic<bool> done{false};
  core::Atomic<std::uint64_t> sent{0};
  std::thread storm([&] {
    const std::vector<pid_t> workers = Workers(threads, kWorkers);
    while (!done.load(std::memory_order_acquire)) {
      for (pid_t tid : workers) {
        if (SendTo(tid, SIGUSR2)) sent.fetch_add(1, std::memory_order_relaxed);
      }
      std::this_thread::sleep_for(kStormGap);
    }
  });
  JoinHandle<absl::Status> server = rt.spawn(Echo(*std::move(listener)));
  const int matched = rt.block_on(rt.spawn(Client(addr)));
  const absl::Status served = rt.block_on(std::move(server));
  done.store(true, std::memory_order_release);
  storm.join();

  EXPECT_EQ(matched, kRounds);
  EXPECT_TRUE(served.ok()) << served;
  ASSERT_GT(sent.load(std::memory_order_relaxed), 0u);
  // The storm was seen too: at least one delivery since the listener began.
  EXPECT_TRUE(rt.block_on(usr2->recv()).ok());
}

INSTANTIATE_TEST_SUITE_P(Modes, ShutdownSignalLostWithoutReactorThreadTest,
                         ::testing::Values(IoDriver::kReactorThread,
                                           IoDriver::kWorkers),
                         [](const ::testing::TestParamInfo<IoDriver>& info) {
                           return std::string(info.param == IoDriver::kWorkers
                                                  ? "IoOnWorkers"
                                                  : "ReactorThread");
                         });

}  // namespace
}  // namespace magpie
