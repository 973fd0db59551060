// DESIGN.md §6 scenario 6 on the Runtime: sleeps and socket reads whose
// owning task moves between workers across polls all complete. Each future
// is polled once in one task (Pending, that task's waker registered), then
// moved into a new task that may run on another worker and finishes it; a
// reactor that kept the first waker would wake the wrong (finished) task and
// the second would hang. Many tasks and yields also make plain work-stealing
// migrate the rest. Seeded; a watchdog names what never finished.

#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/magpie_reactor.h"
#include "runtime/core/atomic.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "tests/support/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ScaledForSanitizers;
using testing::Watchdog;

// Which threads polled a future, to see that migration really happened.
struct Migrations {
  core::Atomic<long> moved{0};  // finished on another thread than it began
  core::Atomic<long> completed{0};
};

// Polls `*future` once here (expecting Pending), then finishes it in a new
// task. F is heap-held so that futures that must not move after their first
// poll (Sleep) stay put while the handle moves.
template <class F>
Task<void> PollHereFinishElsewhere(std::unique_ptr<F> future,
                                   Migrations* migrations) {
  const std::thread::id first = std::this_thread::get_id();
  bool ready_at_once = false;
  co_await poll_fn([&](Context& cx) -> Poll<void> {
    ready_at_once = future->poll(cx).is_ready();
    return ready();
  });
  if (!ready_at_once) {
    co_await spawn([](std::unique_ptr<F> f, std::thread::id first,
                      Migrations* m) -> Task<void> {
      co_await *f;
      if (std::this_thread::get_id() != first) {
        m->moved.fetch_add(1, std::memory_order_relaxed);
      }
    }(std::move(future), first, migrations));
  }
  migrations->completed.fetch_add(1, std::memory_order_relaxed);
}

TEST(MigrationTest, SleepsPolledOnOneWorkerFireForTheirNewTask) {
  const int kTasks = ScaledForSanitizers(200, 40);
  const int kRounds = ScaledForSanitizers(10, 4);
  Watchdog dog("scenario 6: migrating sleeps", seconds(120));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  Migrations migrations;
  std::vector<JoinHandle<void>> handles;
  for (int t = 0; t < kTasks; ++t) {
    handles.push_back(
        rt.spawn([](int t, int rounds, Migrations* m) -> Task<void> {
          std::mt19937 rng(600 + t);
          for (int r = 0; r < rounds; ++r) {
            co_await PollHereFinishElsewhere(
                std::make_unique<Sleep>(sleep(milliseconds(1 + rng() % 3))), m);
            co_await yield_now();
          }
        }(t, kRounds, &migrations)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  EXPECT_EQ(migrations.completed.load(), long{kTasks} * kRounds);
  EXPECT_GT(migrations.moved.load(), 0);
}

TEST(MigrationTest, SocketReadsPolledOnOneWorkerCompleteForTheirNewTask) {
  const int kPairs = ScaledForSanitizers(64, 16);
  const int kRounds = ScaledForSanitizers(20, 5);
  Watchdog dog("scenario 6: migrating socket reads", seconds(120));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  Migrations migrations;

  auto listener =
      rt.block_on(rt.spawn([]() -> Task<absl::StatusOr<net::TcpListener>> {
        co_return net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
      }()));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const net::SocketAddr addr = *listener->local_addr();

  std::vector<JoinHandle<void>> handles;
  for (int p = 0; p < kPairs; ++p) {
    // The writer: connects, then sends one byte per round after a delay.
    handles.push_back(
        rt.spawn([](net::SocketAddr addr, int rounds, int p) -> Task<void> {
          auto stream = co_await net::TcpStream::connect(addr);
          if (!stream.ok()) {
            ADD_FAILURE() << stream.status();
            co_return;
          }
          std::mt19937 rng(700 + p);
          for (int r = 0; r < rounds; ++r) {
            co_await sleep(milliseconds(rng() % 3));
            const std::byte b{static_cast<unsigned char>(r)};
            absl::Status s =
                co_await stream->write_all(std::span<const std::byte>(&b, 1));
            if (!s.ok()) ADD_FAILURE() << s;
          }
        }(addr, kRounds, p)));
  }
  // The readers: one accepted connection each; every read starts in one
  // task and finishes in another.
  for (int p = 0; p < kPairs; ++p) {
    auto accepted = rt.block_on(listener->accept());
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    handles.push_back(rt.spawn(
        [](net::TcpStream stream, int rounds, Migrations* m) -> Task<void> {
          for (int r = 0; r < rounds; ++r) {
            std::byte b{};
            auto read = std::make_unique<net::TcpStream::ReadFuture>(
                stream.read(std::span<std::byte>(&b, 1)));
            // ReadFuture's output is a StatusOr: wrap it to check the byte.
            co_await PollHereFinishElsewhere(std::move(read), m);
            EXPECT_EQ(static_cast<int>(b), r);
            co_await yield_now();
          }
        }(std::move(accepted->first), kRounds, &migrations)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  EXPECT_EQ(migrations.completed.load(), long{kPairs} * kRounds);
}

}  // namespace
}  // namespace magpie
