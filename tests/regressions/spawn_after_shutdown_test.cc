// Regression: a spawn after shutdown threw RuntimeShutdown, so a future
// whose destructor spawned, dropped at shutdown, called std::terminate.
// Now every spawn entry point returns a JoinHandle that is already
// cancelled (awaiting it throws TaskCancelled), destroys the future at
// once, and never throws (DESIGN.md §5). Spawning with no runtime at all
// still throws NoCurrentRuntime.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::DropCounter;
using testing::Watchdog;

// The futures here answer Pending without keeping the waker (only shutdown
// ends them): lost by definition (lost_task.h), expected, not reported.
void ExpectLost(const task::LostTask&) {}

Runtime MakeRuntime(std::size_t workers) {
  return Runtime::Builder()
      .worker_threads(workers)
      .enable_io(false)
      .enable_time(false)
      .on_lost_task(&ExpectLost)
      .build();
}

// A future that never completes and counts its destruction.
struct Forever {
  using Output = int;
  DropCounter counter;
  Poll<int> poll(Context&) { return Pending; }
};

// The handle of a refused spawn: finished, and awaiting it throws
// TaskCancelled.
template <class T>
void ExpectCancelled(JoinHandle<T> handle) {
  EXPECT_TRUE(handle.is_finished());
  EXPECT_THROW(block_on(std::move(handle)), TaskCancelled);
}

TEST(SpawnAfterShutdownTest, EveryEntryPointReturnsACancelledHandle) {
  Runtime rt = MakeRuntime(1);
  Handle handle = rt.handle();
  rt.shutdown();
  core::Atomic<int> drops{0};
  int expected_drops = 0;

  // Each future is destroyed by the refused spawn itself.
  ExpectCancelled(rt.spawn(Forever{DropCounter(&drops)}));
  EXPECT_EQ(drops.load(std::memory_order_relaxed), ++expected_drops);
  ExpectCancelled(handle.spawn(Forever{DropCounter(&drops)}));
  EXPECT_EQ(drops.load(std::memory_order_relaxed), ++expected_drops);
  ExpectCancelled(rt.spawn_blocking(
      [c = std::make_shared<DropCounter>(&drops)] { return 1; }));
  EXPECT_EQ(drops.load(std::memory_order_relaxed), ++expected_drops);
  ExpectCancelled(handle.spawn_blocking(
      [c = std::make_shared<DropCounter>(&drops)] { return 1; }));
  EXPECT_EQ(drops.load(std::memory_order_relaxed), ++expected_drops);
  {
    // The free functions reach the shut-down runtime as the current one.
    Handle::EnterGuard guard = handle.enter();
    ExpectCancelled(magpie::spawn(Forever{DropCounter(&drops)}));
    EXPECT_EQ(drops.load(std::memory_order_relaxed), ++expected_drops);
    ExpectCancelled(magpie::spawn_blocking(
        [c = std::make_shared<DropCounter>(&drops)] { return 1; }));
    EXPECT_EQ(drops.load(std::memory_order_relaxed), ++expected_drops);
  }
  // A void blocking job too.
  ExpectCancelled(handle.spawn_blocking([] {}));
}

TEST(SpawnAfterShutdownTest, LocalExecutorReturnsACancelledHandle) {
  core::Atomic<int> drops{0};
  LocalExecutor ex;
  ex.shutdown();
  ExpectCancelled(ex.spawn(Forever{DropCounter(&drops)}));
  EXPECT_EQ(drops.load(std::memory_order_relaxed), 1);
  EXPECT_EQ(ex.num_tasks(), 0u);
}

// What the spawning destructors below saw.
struct Spawned {
  std::mutex mu;
  std::vector<JoinHandle<int>> handles;
  std::vector<bool> finished_at_spawn;
  core::Atomic<int> drops{0};

  void add(JoinHandle<int> handle) {
    std::lock_guard<std::mutex> lock(mu);
    finished_at_spawn.push_back(handle.is_finished());
    handles.push_back(std::move(handle));
  }
};

// A future whose destructor spawns on its own LocalExecutor.
class SpawnsOnLocalDrop {
 public:
  using Output = int;
  SpawnsOnLocalDrop(LocalExecutor* ex, Spawned* spawned)
      : ex_(ex), spawned_(spawned) {}
  SpawnsOnLocalDrop(SpawnsOnLocalDrop&& other) noexcept
      : ex_(other.ex_), spawned_(std::exchange(other.spawned_, nullptr)) {}
  SpawnsOnLocalDrop& operator=(SpawnsOnLocalDrop&&) = delete;
  ~SpawnsOnLocalDrop() {
    if (spawned_ == nullptr) return;
    spawned_->add(ex_->spawn(Forever{DropCounter(&spawned_->drops)}));
  }
  Poll<int> poll(Context&) { return Pending; }

 private:
  LocalExecutor* ex_;
  Spawned* spawned_;
};

TEST(SpawnAfterShutdownTest, DestructorDuringLocalExecutorShutdownMaySpawn) {
  Spawned spawned;
  {
    LocalExecutor ex;
    ex.on_lost_task(&ExpectLost);
    auto h = ex.spawn(SpawnsOnLocalDrop(&ex, &spawned));
    ex.run_until_stalled();
    ex.shutdown();
    EXPECT_THROW(block_on(std::move(h)), TaskCancelled);
  }
  ASSERT_EQ(spawned.handles.size(), 1u);
  EXPECT_TRUE(spawned.finished_at_spawn[0]);
  EXPECT_EQ(spawned.drops.load(std::memory_order_relaxed), 1);
  EXPECT_THROW(block_on(std::move(spawned.handles[0])), TaskCancelled);
}

TEST(SpawnAfterShutdownTest, NoCurrentRuntimeStillThrows) {
  EXPECT_THROW(magpie::spawn(poll_fn([](Context&) -> Poll<int> { return 1; })),
               NoCurrentRuntime);
  EXPECT_THROW(magpie::spawn_blocking([] { return 1; }), NoCurrentRuntime);
}

// A future that never completes; its destructor spawns through the free
// function (the current runtime), as user code in a destructor would.
class SpawnsOnDrop {
 public:
  using Output = int;
  explicit SpawnsOnDrop(Spawned* spawned) : spawned_(spawned) {}
  SpawnsOnDrop(SpawnsOnDrop&& other) noexcept
      : spawned_(std::exchange(other.spawned_, nullptr)) {}
  SpawnsOnDrop& operator=(SpawnsOnDrop&&) = delete;
  ~SpawnsOnDrop() {
    if (spawned_ == nullptr) return;
    spawned_->add(magpie::spawn(Forever{DropCounter(&spawned_->drops)}));
  }
  Poll<int> poll(Context&) { return Pending; }

 private:
  Spawned* spawned_;
};

TEST(SpawnAfterShutdownTest, DestructorOnAWorkerMaySpawn) {
  Watchdog dog("destructor spawning on a worker at shutdown", seconds(60));
  Spawned spawned;
  constexpr int kTasks = 50;
  {
    Runtime rt = MakeRuntime(2);
    std::vector<JoinHandle<int>> idle;
    for (int i = 0; i < kTasks; ++i) {
      idle.push_back(rt.spawn(SpawnsOnDrop(&spawned)));
    }
    // Let every task be polled once (they are idle on the workers' side).
    for (JoinHandle<int>& h : idle) EXPECT_FALSE(h.is_finished());
  }  // shutdown drops each future; each destructor spawns
  ASSERT_EQ(spawned.handles.size(), static_cast<std::size_t>(kTasks));
  for (bool finished : spawned.finished_at_spawn) EXPECT_TRUE(finished);
  // Every future handed to a refused spawn was destroyed at once.
  EXPECT_EQ(spawned.drops.load(std::memory_order_relaxed), kTasks);
  for (JoinHandle<int>& h : spawned.handles) {
    EXPECT_THROW(block_on(std::move(h)), TaskCancelled);
  }
}

TEST(SpawnAfterShutdownTest, DestructorOnTheShuttingDownThreadMaySpawn) {
  // A blocking job that never started is dropped by shutdown() on the
  // caller's own thread (not a runtime thread). Its closure's destructor
  // spawns through the free functions.
  Watchdog dog("destructor spawning on the shutdown thread", seconds(60));
  Spawned spawned;
  auto released = std::make_shared<core::Atomic<bool>>(false);
  std::thread::id dropped_on;
  const std::thread::id main_thread = std::this_thread::get_id();
  struct SpawnOnDrop {
    SpawnOnDrop(Spawned* spawned, std::shared_ptr<core::Atomic<bool>> released,
                std::thread::id* dropped_on)
        : spawned(spawned),
          released(std::move(released)),
          dropped_on(dropped_on) {}
    SpawnOnDrop(const SpawnOnDrop&) = delete;
    SpawnOnDrop& operator=(const SpawnOnDrop&) = delete;
    Spawned* spawned;
    std::shared_ptr<core::Atomic<bool>> released;
    std::thread::id* dropped_on;
    ~SpawnOnDrop() {
      *dropped_on = std::this_thread::get_id();
      spawned->add(magpie::spawn(Forever{DropCounter(&spawned->drops)}));
      spawned->add(magpie::spawn_blocking([] { return 2; }));
      // Lets the running job (and so shutdown) finish.
      released->store(true, std::memory_order_release);
    }
  };
  {
    Runtime rt = Runtime::Builder()
                     .worker_threads(1)
                     .max_blocking_threads(1)
                     .enable_io(false)
                     .enable_time(false)
                     .build();
    core::Atomic<bool> running{false};
    // Occupies the only blocking thread until the queued job is dropped.
    auto first = rt.spawn_blocking([&running, released] {
      running.store(true, std::memory_order_release);
      while (!released->load(std::memory_order_acquire)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return 1;
    });
    while (!running.load(std::memory_order_acquire)) std::this_thread::yield();
    auto guard = std::make_shared<SpawnOnDrop>(&spawned, released, &dropped_on);
    auto queued = rt.spawn_blocking([guard = std::move(guard)] { return 3; });
    rt.shutdown();
    EXPECT_EQ(block_on(std::move(first)), 1);
    EXPECT_THROW(block_on(std::move(queued)), TaskCancelled);
  }
  EXPECT_EQ(dropped_on, main_thread);
  ASSERT_EQ(spawned.handles.size(), 2u);
  for (bool finished : spawned.finished_at_spawn) EXPECT_TRUE(finished);
  EXPECT_EQ(spawned.drops.load(std::memory_order_relaxed), 1);
  for (JoinHandle<int>& h : spawned.handles) {
    EXPECT_THROW(block_on(std::move(h)), TaskCancelled);
  }
}

}  // namespace
}  // namespace magpie
