#include "bench/compare/workloads.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "reactor/time/sleep.h"
#include "runtime/coro/task.h"
#include "runtime/sync/oneshot.h"
#include "runtime/yield_now.h"

namespace magpie::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The sizes of Tokio's rt_multi_threaded benchmarks (benches/rt_multi_threaded.rs).
constexpr int kSpawnMany = 10'000;
constexpr int kYieldTasks = 200;
constexpr int kYieldsPerTask = 1'000;
constexpr int kPingPongs = 1'000;
constexpr int kChainDepth = 1'000;
// Timers: many short sleeps (the wheel's insert/fire cost dominates over the
// 10 ms floor), and few longer ones spread over 50 ms to see how late each
// fires.
constexpr int kTimers = 100'000;
constexpr int kTimerSpreadMs = 10;
constexpr int kLatenessTimers = 1'000;
constexpr int kLatenessSpreadMs = 50;

constexpr std::array<Workload, 7> kWorkloads = {{
    {"spawn_many", "ms", "a task spawns 10,000 empty tasks and awaits them"},
    {"spawn_remote", "ms", "10,000 empty tasks spawned from outside"},
    {"yield_many", "ms", "200 tasks x 1,000 yields"},
    {"ping_pong", "ms", "1,000 ping/pong pairs over oneshot channels"},
    {"chained_spawn", "ms", "each task spawns the next, depth 1,000"},
    {"timers_100k", "ms", "100,000 tasks sleep 1-10 ms, wall time"},
    {"timer_lateness_p99", "us", "1,000 sleeps of 1-50 ms, p99 lateness"},
}};

int scaled(int n, double scale) {
  return std::max(1, static_cast<int>(std::lround(n * scale)));
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

Task<void> nothing() { co_return; }

Task<void> spawn_many(int n) {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(n);
  for (int i = 0; i < n; ++i) handles.push_back(spawn(nothing()));
  for (auto& handle : handles) co_await handle;
}

Task<void> await_all(std::vector<JoinHandle<void>> handles) {
  for (auto& handle : handles) co_await handle;
}

Task<void> yield_loop(int yields) {
  for (int i = 0; i < yields; ++i) co_await yield_now();
}

Task<void> yield_many(int tasks, int yields) {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(tasks);
  for (int i = 0; i < tasks; ++i) handles.push_back(spawn(yield_loop(yields)));
  for (auto& handle : handles) co_await handle;
}

Task<void> pong(oneshot::Receiver<int> ping, oneshot::Sender<int> reply) {
  std::optional<int> v = co_await ping;
  (void)std::move(reply).send(v.value_or(0));
}

Task<void> ping(int) {
  auto [ping_tx, ping_rx] = oneshot::channel<int>();
  auto [pong_tx, pong_rx] = oneshot::channel<int>();
  spawn(pong(std::move(ping_rx), std::move(pong_tx)));
  (void)std::move(ping_tx).send(1);
  (void)co_await pong_rx;
}

Task<void> ping_pong(int pairs) {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(pairs);
  for (int i = 0; i < pairs; ++i) handles.push_back(spawn(ping(i)));
  for (auto& handle : handles) co_await handle;
}

Task<void> chain(oneshot::Sender<int> done, int remaining) {
  if (remaining == 0) {
    (void)std::move(done).send(0);
  } else {
    spawn(chain(std::move(done), remaining - 1));
  }
  co_return;
}

Task<void> chained_spawn(int depth) {
  auto [done_tx, done_rx] = oneshot::channel<int>();
  spawn(chain(std::move(done_tx), depth));
  (void)co_await done_rx;
}

Task<void> sleep_ms(int ms) { co_await sleep(std::chrono::milliseconds(ms)); }

Task<void> many_timers(int n) {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(n);
  for (int i = 0; i < n; ++i) {
    handles.push_back(spawn(sleep_ms(1 + i % kTimerSpreadMs)));
  }
  for (auto& handle : handles) co_await handle;
}

// How late one sleep of `ms` fires, in microseconds.
Task<double> lateness_us(int ms) {
  const Clock::time_point due = Clock::now() + std::chrono::milliseconds(ms);
  auto until = sleep_until(due);
  co_await until;
  co_return std::chrono::duration<double, std::micro>(Clock::now() - due)
      .count();
}

Task<double> timer_lateness_p99(int n) {
  std::vector<JoinHandle<double>> handles;
  handles.reserve(n);
  for (int i = 0; i < n; ++i) {
    handles.push_back(spawn(lateness_us(1 + i % kLatenessSpreadMs)));
  }
  std::vector<double> late;
  late.reserve(n);
  for (auto& handle : handles) late.push_back(co_await handle);
  std::sort(late.begin(), late.end());
  co_return late[std::min(late.size() - 1,
                          static_cast<std::size_t>(0.99 * late.size()))];
}

}  // namespace

std::span<const Workload> workloads() { return kWorkloads; }

absl::StatusOr<double> run_sample(Runtime& rt, std::string_view name,
                                  double scale) {
  const Clock::time_point start = Clock::now();
  if (name == "spawn_many") {
    rt.block_on(rt.spawn(spawn_many(scaled(kSpawnMany, scale))));
  } else if (name == "spawn_remote") {
    const int n = scaled(kSpawnMany, scale);
    std::vector<JoinHandle<void>> handles;
    handles.reserve(n);
    for (int i = 0; i < n; ++i) handles.push_back(rt.spawn(nothing()));
    rt.block_on(await_all(std::move(handles)));
  } else if (name == "yield_many") {
    rt.block_on(rt.spawn(
        yield_many(scaled(kYieldTasks, scale), scaled(kYieldsPerTask, scale))));
  } else if (name == "ping_pong") {
    rt.block_on(rt.spawn(ping_pong(scaled(kPingPongs, scale))));
  } else if (name == "chained_spawn") {
    rt.block_on(rt.spawn(chained_spawn(scaled(kChainDepth, scale))));
  } else if (name == "timers_100k") {
    rt.block_on(rt.spawn(many_timers(scaled(kTimers, scale))));
  } else if (name == "timer_lateness_p99") {
    return rt.block_on(
        rt.spawn(timer_lateness_p99(scaled(kLatenessTimers, scale))));
  } else {
    return absl::NotFoundError("unknown workload: " + std::string(name));
  }
  return ms_since(start);
}

}  // namespace magpie::bench
