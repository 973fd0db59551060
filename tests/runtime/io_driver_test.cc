// Runtime-level tests of who drives I/O and timers (Builder::io_driver):
// each runs with a reactor thread and with worker-driven I/O
// (IoDriver::kWorkers), with 1 and 2 workers:
//  - many sleeps fire, from tasks and from a block_on outside the runtime;
//  - a timer earlier than the one a worker parked in epoll sleeps until
//    wakes it (inserted from outside the runtime);
//  - busy workers still serve timers and sockets (maintenance polls: one
//    worker, never idle);
//  - block_on of socket I/O from a thread outside the runtime;
//  - one driver turn that wakes more readers than a worker's local queue
//    holds (a worker-driven turn queues its wakes locally, overflowing to
//    the global queue): every reader completes, and the overflow path ran;
//  - shutdown with tasks parked on sockets and timers, and with a worker
//    parked in the driver, terminates and drops every future.
// No timed assertions: completion is asserted, bounded by watchdogs.
// 127.0.0.1 only.

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/magpie_reactor.h"
#include "runtime/core/atomic.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DropCounter;
using testing::Watchdog;

// Long enough that nothing in a test waits for it to fire.
constexpr auto kLongSleep = std::chrono::hours(1);

class IoDriverTest
    : public ::testing::TestWithParam<std::tuple<IoDriver, int>> {
 protected:
  Runtime build() {
    const auto [mode, workers] = GetParam();
    return Runtime::Builder()
        .worker_threads(static_cast<std::size_t>(workers))
        .io_driver(mode)
        .build();
  }
  bool on_workers() const {
    return std::get<0>(GetParam()) == IoDriver::kWorkers;
  }
};

// Until every worker has parked at least `parks` times in total and the
// runtime is idle (best effort, no assertion: it only makes the scenario
// more likely to be the intended one).
void WaitUntilIdle(const Runtime& rt) {
  for (int i = 0; i < 2000; ++i) {
    RuntimeMetrics m = rt.metrics();
    std::uint64_t parks = 0;
    std::uint64_t unparks = 0;
    for (const WorkerMetrics& w : m.workers) {
      parks += w.parks;
      unparks += w.unparks;
    }
    if (parks > unparks && m.global_queue_depth == 0) break;
    std::this_thread::sleep_for(milliseconds(1));
  }
  // Give the parked worker time to reach epoll_wait.
  std::this_thread::sleep_for(milliseconds(20));
}

Task<int> SleepThen(milliseconds d, int value) {
  co_await sleep(d);
  co_return value;
}

TEST_P(IoDriverTest, ManySleepsFire) {
  Watchdog dog("many sleeps", seconds(60));
  Runtime rt = build();
  std::vector<JoinHandle<int>> handles;
  for (int i = 0; i < 200; ++i) {
    handles.push_back(rt.spawn(SleepThen(milliseconds(i % 17), i)));
  }
  int sum = 0;
  for (auto& h : handles) sum += rt.block_on(std::move(h));
  EXPECT_EQ(sum, 199 * 200 / 2);
  // From outside the runtime: the turner wakes this thread.
  rt.block_on(sleep(milliseconds(3)));
}

TEST_P(IoDriverTest, EarlierTimerWakesAWorkerParkedInTheDriver) {
  Watchdog dog("earlier timer while parked in epoll", seconds(60));
  Runtime rt = build();
  // A far timer, so the parked turner sleeps until it (or without limit).
  JoinHandle<int> far = rt.spawn(
      SleepThen(std::chrono::duration_cast<milliseconds>(kLongSleep), 1));
  WaitUntilIdle(rt);
  // Inserted from this thread (no worker): must end the parked wait.
  rt.block_on(sleep(milliseconds(5)));
  // And from a task, after the runtime went idle again.
  WaitUntilIdle(rt);
  EXPECT_EQ(rt.block_on(rt.spawn(SleepThen(milliseconds(5), 7))), 7);
  far.abort();
  rt.shutdown();
}

Task<void> SpinUntil(core::Atomic<bool>* done, core::Atomic<long>* spins) {
  while (!done->load(std::memory_order_acquire)) {
    spins->fetch_add(1, std::memory_order_relaxed);
    co_await yield_now();
  }
}

Task<void> SleepAndSet(core::Atomic<bool>* done) {
  co_await sleep(milliseconds(5));
  done->store(true, std::memory_order_release);
}

TEST_P(IoDriverTest, BusyWorkersStillFireTimers) {
  Watchdog dog("timers with no idle worker", seconds(60));
  Runtime rt = build();
  core::Atomic<bool> done{false};
  core::Atomic<long> spins{0};
  // One spinner per worker: no worker is ever idle until the timer fires.
  std::vector<JoinHandle<void>> spinners;
  for (std::size_t i = 0; i < rt.num_workers(); ++i) {
    spinners.push_back(rt.spawn(SpinUntil(&done, &spins)));
  }
  rt.block_on(rt.spawn(SleepAndSet(&done)));
  for (auto& s : spinners) rt.block_on(std::move(s));
  EXPECT_GT(spins.load(), 0);
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

Task<absl::StatusOr<net::TcpListener>> BindLoopbackTask() {
  co_return net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
}

// A listener on 127.0.0.1 (an ephemeral port), bound on one of rt's workers:
// its registration needs the runtime's I/O driver.
absl::StatusOr<net::TcpListener> BindLoopback(Runtime& rt) {
  return rt.block_on(rt.spawn(BindLoopbackTask()));
}

Task<std::string> ReadExactly(net::TcpStream* stream, std::size_t n) {
  std::string out(n, '\0');
  const std::span<std::byte> into =
      std::as_writable_bytes(std::span<char>(out.data(), out.size()));
  absl::Status got = co_await stream->read_exact(into);
  EXPECT_TRUE(got.ok()) << got;
  co_return out;
}

Task<absl::Status> WriteAll(net::TcpStream* stream, std::string text) {
  absl::Status sent = co_await stream->write_all(bytes_of(text));
  co_return sent;
}

Task<std::string> SpinThenRead(net::TcpStream* stream, core::Atomic<bool>* done,
                               std::size_t n) {
  std::string got = co_await ReadExactly(stream, n);
  done->store(true, std::memory_order_release);
  co_return got;
}

TEST_P(IoDriverTest, BusyWorkersStillServeSockets) {
  Watchdog dog("sockets with no idle worker", seconds(60));
  Runtime rt = build();
  absl::StatusOr<net::TcpListener> listener = BindLoopback(rt);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<net::SocketAddr> addr = listener->local_addr();
  ASSERT_TRUE(addr.ok());
  // This thread is the client, outside the runtime (block_on of I/O).
  absl::StatusOr<net::TcpStream> client =
      rt.block_on(net::TcpStream::connect(*addr));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = rt.block_on(listener->accept());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  net::TcpStream server = std::move(accepted->first);

  core::Atomic<bool> done{false};
  core::Atomic<long> spins{0};
  std::vector<JoinHandle<void>> spinners;
  for (std::size_t i = 0; i < rt.num_workers(); ++i) {
    spinners.push_back(rt.spawn(SpinUntil(&done, &spins)));
  }
  JoinHandle<std::string> reader = rt.spawn(SpinThenRead(&server, &done, 5));
  absl::Status sent = rt.block_on(client->write_all(bytes_of("hello")));
  ASSERT_TRUE(sent.ok()) << sent;
  EXPECT_EQ(rt.block_on(std::move(reader)), "hello");
  for (auto& s : spinners) rt.block_on(std::move(s));

  // And back, the reader being this thread.
  JoinHandle<absl::Status> writer = rt.spawn(WriteAll(&server, "world"));
  EXPECT_TRUE(rt.block_on(std::move(writer)).ok());
  EXPECT_EQ(rt.block_on(ReadExactly(&*client, 5)), "world");
}

// A reader that counts itself in before its first read: once the count is
// full and every worker is held (HoldWorker), every reader's first poll has
// ended, so each has registered its waker (ReadExactly's read is Pending:
// nothing was sent yet).
Task<std::string> CountedReader(net::TcpStream* stream,
                                core::Atomic<int>* started) {
  started->fetch_add(1, std::memory_order_relaxed);
  std::string got = co_await ReadExactly(stream, 1);
  co_return got;
}

// Occupies a worker until `release` is set, so no worker turns the driver
// meanwhile (a worker-driven runtime then has nobody in epoll_wait, and the
// events pile up). A spin with a yield of the thread, not of the task: the
// task must keep the worker.
Task<void> HoldWorker(core::Atomic<int>* arrived,
                      const core::Atomic<bool>* release) {
  arrived->fetch_add(1, std::memory_order_acq_rel);
  while (!release->load(std::memory_order_acquire)) std::this_thread::yield();
  co_return;
}

std::uint64_t TotalOverflows(const Runtime& rt) {
  std::uint64_t overflows = 0;
  for (const WorkerMetrics& w : rt.metrics().workers) overflows += w.overflows;
  return overflows;
}

// More readers than a local queue holds (256), so a worker-driven turn
// that sees all of their events at once overflows to the global queue.
constexpr int kManyReaders = 300;

TEST_P(IoDriverTest, OneTurnWakesMoreReadersThanALocalQueueHolds) {
  Watchdog dog("a turn that wakes many readers", seconds(120));
  Runtime rt = build();
  const int workers = std::get<1>(GetParam());
  absl::StatusOr<net::TcpListener> listener = BindLoopback(rt);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<net::SocketAddr> addr = listener->local_addr();
  ASSERT_TRUE(addr.ok());
  std::vector<net::TcpStream> clients;
  std::vector<net::TcpStream> servers;
  clients.reserve(kManyReaders);
  servers.reserve(kManyReaders);  // readers hold addresses into it
  for (int i = 0; i < kManyReaders; ++i) {
    absl::StatusOr<net::TcpStream> client =
        rt.block_on(net::TcpStream::connect(*addr));
    ASSERT_TRUE(client.ok()) << client.status();
    auto accepted = rt.block_on(listener->accept());
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    clients.push_back(*std::move(client));
    servers.push_back(std::move(accepted->first));
  }
  core::Atomic<int> started{0};
  std::vector<JoinHandle<std::string>> readers;
  for (net::TcpStream& server : servers) {
    readers.push_back(rt.spawn(CountedReader(&server, &started)));
  }
  while (started.load(std::memory_order_relaxed) < kManyReaders) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  // Hold every worker: each reader's first poll has ended (it registered),
  // and no worker is in the driver. One hold ends first; the others last
  // until every reader is done, so the one free worker turns the driver
  // alone and nobody steals from its queue while the turn fills it.
  core::Atomic<int> arrived{0};
  core::Atomic<bool> release_first{false};
  core::Atomic<bool> release_rest{false};
  std::vector<JoinHandle<void>> holds;
  for (int i = 0; i < workers; ++i) {
    holds.push_back(rt.spawn(
        HoldWorker(&arrived, i == 0 ? &release_first : &release_rest)));
  }
  while (arrived.load(std::memory_order_acquire) < workers) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  // One byte to every reader, from this thread (plain send on the client's
  // non-blocking fd: a fresh socket has room), while nobody turns the
  // worker-driven driver: all the events wait for one turn.
  const std::uint64_t overflows_before = TotalOverflows(rt);
  for (net::TcpStream& client : clients) {
    ASSERT_EQ(::send(client.fd(), "x", 1, MSG_NOSIGNAL), 1);
  }
  release_first.store(true, std::memory_order_release);
  for (auto& reader : readers) EXPECT_EQ(rt.block_on(std::move(reader)), "x");
  release_rest.store(true, std::memory_order_release);
  for (auto& hold : holds) rt.block_on(std::move(hold));
  if (on_workers()) {
    // The turn queued its wakes on the turning worker (more than its local
    // queue holds): the overflow path ran. (With a reactor thread the wakes
    // go to the global queue as one batch, never through a local queue.)
    EXPECT_GT(TotalOverflows(rt), overflows_before);
  }
}

Task<void> WaitForever(net::TcpListener* listener, DropCounter counter) {
  (void)co_await listener->accept();  // nobody connects
  ADD_FAILURE() << "accept returned";
}

Task<void> SleepForever(DropCounter counter) { co_await sleep(kLongSleep); }

TEST_P(IoDriverTest, ShutdownWithTasksParkedOnIoAndAWorkerInTheDriver) {
  Watchdog dog("shutdown with tasks parked on I/O", seconds(60));
  core::Atomic<int> drops{0};
  constexpr int kTasks = 8;
  {
    Runtime rt = build();
    absl::StatusOr<net::TcpListener> listener = BindLoopback(rt);
    ASSERT_TRUE(listener.ok()) << listener.status();
    // One accept at a time per listener: one waiter on it, sleepers besides.
    rt.spawn(WaitForever(&*listener, DropCounter(&drops)));
    for (int i = 1; i < kTasks; ++i) {
      rt.spawn(SleepForever(DropCounter(&drops)));
    }
    WaitUntilIdle(rt);  // a worker (kWorkers) sits in epoll_wait now
    rt.shutdown();
  }
  EXPECT_EQ(drops.load(), kTasks);
}

TEST_P(IoDriverTest, IdleRuntimeShutsDown) {
  Watchdog dog("idle shutdown", seconds(60));
  for (int round = 0; round < 5; ++round) {
    Runtime rt = build();
    if (round % 2 == 1) WaitUntilIdle(rt);
    rt.shutdown();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, IoDriverTest,
    ::testing::Combine(::testing::Values(IoDriver::kReactorThread,
                                         IoDriver::kWorkers),
                       ::testing::Values(1, 2)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == IoDriver::kWorkers
                             ? "IoOnWorkers"
                             : "IoThread") +
             "_" + std::to_string(std::get<1>(info.param)) + "workers";
    });

}  // namespace
}  // namespace magpie
