// Tests for the sharded OwnedTasks: shard count, bind/remove bookkeeping
// across shards, and concurrent spawns, completions and close: every bound
// task is either completed (removed) or shut down by the close, a bind after
// close is refused, every future is destroyed exactly once and every cell
// freed (the destroyed count, and LeakSanitizer under asan).

#include "runtime/task/owned_tasks.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/task/cell.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/raw_task.h"
#include "runtime/testing/watchdog.h"

namespace magpie::task {
namespace {

using magpie::testing::ScaledForSanitizers;
using magpie::testing::Watchdog;

// The Schedule of a test task: completion takes it off `owned`; nothing
// re-queues it.
struct ListShared {
  explicit ListShared(OwnedTasks* owned) : owned(owned) {}
  OwnedTasks* owned;
  SchedulerRegistration registration;
};
struct ListSchedule : RegisteredScheduler<ListShared> {
  using RegisteredScheduler::RegisteredScheduler;
  void schedule(Notified) {}
  void yield_now(Notified) {}
  bool release(Header* header) { return shared().owned->remove(header); }
};

// Ready at the first poll; counts its destruction.
class CountedFuture {
 public:
  using Output = void;
  explicit CountedFuture(core::Atomic<std::int64_t>* destroyed)
      : destroyed_(destroyed) {}
  CountedFuture(CountedFuture&& other) noexcept
      : destroyed_(std::exchange(other.destroyed_, nullptr)) {}
  CountedFuture& operator=(CountedFuture&&) = delete;
  ~CountedFuture() {
    if (destroyed_ != nullptr) {
      destroyed_->fetch_add(1, std::memory_order_relaxed);
    }
  }
  Poll<void> poll(Context&) { return ready(); }

 private:
  core::Atomic<std::int64_t>* destroyed_;
};

using TestCell = Cell<CountedFuture, ListSchedule>;

TEST(OwnedTasksTest, ShardCountIsAPowerOfTwo) {
  EXPECT_EQ(OwnedTasks().num_shards(), 1u);
  EXPECT_EQ(OwnedTasks(0).num_shards(), 1u);
  EXPECT_EQ(OwnedTasks(4).num_shards(), 4u);
  EXPECT_EQ(OwnedTasks(12).num_shards(), 16u);
}

// Tasks spread over every shard; size() counts them all, remove() takes
// each off once, close_and_shutdown_all() finds the rest in every shard.
TEST(OwnedTasksTest, BindRemoveAndCloseAcrossShards) {
  core::Atomic<std::int64_t> destroyed{0};
  OwnedTasks owned(8);
  const auto list = make_registered_arc<ListShared>(&owned);
  constexpr std::size_t kTasks = 100;
  std::vector<Header*> headers;
  for (std::size_t i = 0; i < kTasks; ++i) {
    Header* h =
        TestCell::allocate(CountedFuture(&destroyed), ListSchedule(list));
    ASSERT_TRUE(owned.bind(h));
    { auto join = JoinHandle<void>::from_raw(h); }  // detach
    headers.push_back(h);
  }
  EXPECT_EQ(owned.size(), kTasks);
  EXPECT_EQ(owned.dump().size(), kTasks);
  // Run the even ones: they complete and take themselves off the list.
  for (std::size_t i = 0; i < kTasks; i += 2) {
    Notified::from_raw(headers[i]).run();
  }
  EXPECT_EQ(owned.size(), kTasks / 2);
  EXPECT_FALSE(owned.is_closed());
  EXPECT_EQ(owned.close_and_shutdown_all(), kTasks / 2);
  EXPECT_TRUE(owned.is_closed());
  EXPECT_EQ(owned.size(), 0u);
  // The odd ones' queue entries still hold a reference: drop them.
  for (std::size_t i = 1; i < kTasks; i += 2) {
    Notified::from_raw(headers[i]).reset();
  }
  EXPECT_EQ(destroyed.load(std::memory_order_relaxed),
            static_cast<std::int64_t>(kTasks));
  // Refused after close.
  Header* late =
      TestCell::allocate(CountedFuture(&destroyed), ListSchedule(list));
  EXPECT_FALSE(owned.bind(late));
  refuse(late);
  { auto join = JoinHandle<void>::from_raw(late); }
  EXPECT_EQ(destroyed.load(std::memory_order_relaxed),
            static_cast<std::int64_t>(kTasks + 1));
}

// Spawner threads bind and run tasks (completion removes them) while a
// closer shuts the list down halfway. Every task: bound then completed, or
// bound then shut down by the close, or refused; never two of those, none
// left on the list, every future destroyed once.
TEST(OwnedTasksTest, ConcurrentBindRemoveAndCloseLoseNothing) {
  const int rounds = ScaledForSanitizers(10, 4);
  const std::size_t per_thread = ScaledForSanitizers(3000, 500);
  constexpr int kSpawners = 4;
  for (int round = 0; round < rounds; ++round) {
    const std::string what = "owned tasks race, round " + std::to_string(round);
    SCOPED_TRACE(what);
    Watchdog dog(what, std::chrono::seconds(60));
    core::Atomic<std::int64_t> destroyed{0};
    core::Atomic<std::int64_t> refused{0};
    core::Atomic<int> started{0};
    {
      OwnedTasks owned(16);
      const auto list = make_registered_arc<ListShared>(&owned);
      std::vector<std::thread> spawners;
      for (int s = 0; s < kSpawners; ++s) {
        spawners.emplace_back([&, s] {
          // ORDERING: seq_cst; only a start line for the closer.
          started.fetch_add(1, std::memory_order_seq_cst);
          for (std::size_t i = 0; i < per_thread; ++i) {
            Header* h = TestCell::allocate(CountedFuture(&destroyed),
                                           ListSchedule(list));
            if (!owned.bind(h)) {
              refuse(h);
              { auto join = JoinHandle<void>::from_raw(h); }
              refused.fetch_add(1, std::memory_order_relaxed);
              continue;
            }
            { auto join = JoinHandle<void>::from_raw(h); }  // detach
            // Run half at once; leave the others queued for a while.
            if ((i + static_cast<std::size_t>(s)) % 2 == 0) {
              Notified::from_raw(h).run();
            } else {
              Notified::from_raw(h).reset();  // idle until the close
            }
          }
        });
      }
      while (started.load(std::memory_order_seq_cst) < kSpawners) {
        std::this_thread::yield();
      }
      std::thread closer([&] {
        // Close while spawning is under way (round-dependent delay).
        for (int i = 0; i < round * 50; ++i) std::this_thread::yield();
        (void)owned.close_and_shutdown_all();
      });
      for (std::thread& t : spawners) t.join();
      closer.join();
      EXPECT_TRUE(owned.is_closed());
      // A second close picks up nothing new but is harmless.
      EXPECT_EQ(owned.close_and_shutdown_all(), 0u);
      EXPECT_EQ(owned.size(), 0u);
    }
    EXPECT_EQ(destroyed.load(std::memory_order_relaxed),
              static_cast<std::int64_t>(per_thread * kSpawners))
        << refused.load(std::memory_order_relaxed) << " refused";
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace magpie::task
