// Chaos scheduling (runtime/scheduler/chaos.h): the Builder API, replay
// determinism (chaos rule 2), and that correct workloads — the lost-wakeup
// scenarios of DESIGN.md §6 and a spawn/steal/yield mix — still complete
// with chaos on, on 2 and 4 workers.

#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/chaos_point.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/scheduler/chaos.h"
#include "runtime/sync/oneshot.h"
#include "runtime/testing/lost_wakeup.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::ScaledForSanitizers;
using testing::Watchdog;

constexpr std::size_t kLogCapacity = 1 << 16;

TEST(ChaosTest, SeedIsReportedAndOffByDefault) {
  Runtime plain = Runtime::Builder().worker_threads(1).chaos(0).build();
  EXPECT_EQ(plain.chaos_seed(), 0u);
  EXPECT_TRUE(plain.chaos_decisions(0).empty());
  Runtime chaotic = Runtime::Builder().worker_threads(1).chaos(42).build();
  EXPECT_EQ(chaotic.chaos_seed(), 42u);
}

Task<int> Child(int i, oneshot::Sender<int> tx) {
  for (int k = 0; k < 5; ++k) co_await yield_now();
  (void)std::move(tx).send(i);
  co_await yield_now();
  co_return i;
}

// Everything runs on the one worker, woken only by other tasks of it: a
// deterministic sequence of polls, clones and wakes.
Task<long> Root(int children) {
  std::vector<JoinHandle<int>> handles;
  std::vector<oneshot::Receiver<int>> receivers;
  for (int i = 0; i < children; ++i) {
    auto [tx, rx] = oneshot::channel<int>();
    handles.push_back(spawn(Child(i, std::move(tx))));
    receivers.push_back(std::move(rx));
  }
  long sum = 0;
  for (auto& rx : receivers) {
    std::optional<int> v = co_await std::move(rx);
    sum += v.value_or(-1000);
  }
  for (auto& h : handles) sum += co_await std::move(h);
  co_return sum;
}

// The decisions made for tasks: the idle stream (searching, parking) is left
// out, it depends on timing by design (chaos rule 1).
std::vector<ChaosDecision> TaskDecisions(std::uint64_t seed) {
  Runtime rt = Runtime::Builder()
                   .worker_threads(1)
                   .enable_io(false)
                   .enable_time(false)
                   .chaos(seed)
                   .chaos_decision_log(kLogCapacity)
                   .build();
  constexpr int kChildren = 16;
  const long sum = rt.block_on(rt.spawn(Root(kChildren)));
  EXPECT_EQ(sum, 2L * (kChildren * (kChildren - 1) / 2));
  rt.shutdown();
  std::vector<ChaosDecision> out;
  for (const ChaosDecision& d : rt.chaos_decisions(0)) {
    if (d.point == core::ChaosPoint::kPark ||
        d.point == core::ChaosPoint::kParkRecheck ||
        d.point == core::ChaosPoint::kStealVictim ||
        d.point == core::ChaosPoint::kStealSize) {
      continue;
    }
    out.push_back(d);
  }
  return out;
}

std::string Describe(const std::vector<ChaosDecision>& log, std::size_t at) {
  if (at >= log.size()) return "<end>";
  return std::string(core::chaos_point_name(log[at].point)) + " action " +
         std::to_string(static_cast<int>(log[at].action)) + " value " +
         std::to_string(log[at].value);
}

// The replay claim, where it is exact: the engine makes the same decisions
// for the same seed and worker whenever it is asked the same questions in
// the same order. A scripted sequence of every kind of question stands in
// for a worker's run.
std::vector<ChaosDecision> ScriptedDecisions(std::uint64_t seed,
                                             std::size_t worker) {
  constexpr std::size_t kSteps = 600;
  scheduler::Chaos chaos(seed, worker, kLogCapacity);
  const core::ChaosPoint points[] = {
      core::ChaosPoint::kBeforePoll,          core::ChaosPoint::kAfterPoll,
      core::ChaosPoint::kWakerClone,          core::ChaosPoint::kWakerWake,
      core::ChaosPoint::kAtomicWakerRegister, core::ChaosPoint::kAtomicWakerWake,
      core::ChaosPoint::kSchedule};
  for (std::size_t i = 0; i < kSteps; ++i) {
    chaos.at(points[i % std::size(points)]);
    if (i % 3 == 0) (void)chaos.bypass_lifo();
    if (i % 5 == 0) (void)chaos.defer_wake();
    if (i % 7 == 0) (void)chaos.steal_start(4);
    if (i % 11 == 0) (void)chaos.steal_limit(128);
  }
  return chaos.decisions();
}

TEST(ChaosTest, ASeedReplaysTheSameDecisions) {
  const std::vector<ChaosDecision> a = ScriptedDecisions(7, 0);
  const std::vector<ChaosDecision> b = ScriptedDecisions(7, 0);
  ASSERT_GT(a.size(), 600u);
  ASSERT_LT(a.size(), kLogCapacity) << "the log wrapped; raise kLogCapacity";
  std::size_t first_diff = 0;
  while (first_diff < a.size() && first_diff < b.size() &&
         a[first_diff] == b[first_diff]) {
    ++first_diff;
  }
  EXPECT_EQ(a, b) << "first difference at decision " << first_diff << ": "
                  << Describe(a, first_diff) << " vs "
                  << Describe(b, first_diff);
  EXPECT_NE(a, ScriptedDecisions(8, 0));  // another seed
  EXPECT_NE(a, ScriptedDecisions(7, 1));  // another worker's stream
}

// In a runtime the decisions are made at every kind of task point. Their
// order is not compared: even on one worker it varied between runs of this
// workload (about 1 run in 5 diverged at one point, source not yet found),
// which is why docs/chaos.md promises a likelier replay, not a certain one.
TEST(ChaosTest, ARuntimeMakesDecisionsAtEveryTaskPoint) {
  Watchdog dog("chaos task points", seconds(120));
  const std::vector<ChaosDecision> a = TaskDecisions(7);
  ASSERT_GT(a.size(), 100u);
  ASSERT_LT(a.size(), kLogCapacity) << "the log wrapped; raise kLogCapacity";
  // Every kind of task decision was exercised.
  auto has = [&](core::ChaosPoint p) {
    for (const ChaosDecision& d : a) {
      if (d.point == p) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(core::ChaosPoint::kBeforePoll));
  EXPECT_TRUE(has(core::ChaosPoint::kAfterPoll));
  EXPECT_TRUE(has(core::ChaosPoint::kWakerClone));
  EXPECT_TRUE(has(core::ChaosPoint::kWakerWake));
  EXPECT_TRUE(has(core::ChaosPoint::kAtomicWakerRegister));
  EXPECT_TRUE(has(core::ChaosPoint::kAtomicWakerWake));
  EXPECT_TRUE(has(core::ChaosPoint::kSchedule));
  EXPECT_TRUE(has(core::ChaosPoint::kWakeDelivery));
  EXPECT_TRUE(has(core::ChaosPoint::kLifoBypass));
}

class ChaosWorkersTest : public ::testing::TestWithParam<int> {};

TEST_P(ChaosWorkersTest, LostWakeupScenariosComplete) {
  const int workers = GetParam();
  for (const testing::Scenario& scenario : testing::lost_wakeup_scenarios()) {
    const std::uint64_t seed = 4200 + workers;
    Watchdog dog(std::string(scenario.name) + " under chaos seed " +
                     std::to_string(seed) + " with " + std::to_string(workers) +
                     " workers",
                 seconds(240));
    Runtime rt = Runtime::Builder().worker_threads(workers).chaos(seed).build();
    dog.describe_with(
        [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
    absl::Status status = scenario.run(rt, {.seed = seed, .size = 1});
    EXPECT_TRUE(status.ok())
        << scenario.name << " (chaos seed " << seed << "): " << status;
  }
}

Task<void> Yielder(int yields, core::Atomic<int>* done) {
  for (int i = 0; i < yields; ++i) co_await yield_now();
  done->fetch_add(1, std::memory_order_relaxed);
}

// Spawns a tree: each node spawns `fanout` children and yields while they
// run, so queues fill, overflow and get stolen from.
Task<void> Spawner(int depth, int fanout, int yields, core::Atomic<int>* done) {
  std::vector<JoinHandle<void>> children;
  for (int i = 0; i < fanout; ++i) {
    if (depth > 0) {
      children.push_back(spawn(Spawner(depth - 1, fanout, yields, done)));
    } else {
      children.push_back(spawn(Yielder(yields, done)));
    }
    co_await yield_now();
  }
  for (auto& child : children) co_await std::move(child);
  done->fetch_add(1, std::memory_order_relaxed);
}

TEST_P(ChaosWorkersTest, SpawnStealYieldCompletes) {
  const int workers = GetParam();
  const std::uint64_t seed = 977 + workers;
  Watchdog dog("spawn/steal/yield under chaos seed " + std::to_string(seed),
               seconds(240));
  Runtime rt = Runtime::Builder().worker_threads(workers).chaos(seed).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  constexpr int kDepth = 2;
  constexpr int kFanout = 8;
  const int yields = ScaledForSanitizers(50, 10);
  core::Atomic<int> done{0};
  rt.block_on(rt.spawn(Spawner(kDepth, kFanout, yields, &done)));
  // 1 + 8 + 64 spawners, 512 yielders.
  EXPECT_EQ(done.load(),
            1 + kFanout + kFanout * kFanout + kFanout * kFanout * kFanout);
  RuntimeMetrics m = rt.metrics();
  EXPECT_GT(m.total_polls(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Workers, ChaosWorkersTest, ::testing::Values(2, 4),
                         [](const auto& info) {
                           return std::to_string(info.param) + "workers";
                         });

}  // namespace
}  // namespace magpie
