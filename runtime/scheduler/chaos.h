// magpie::scheduler::Chaos — seeded chaos scheduling: each worker of a
// runtime built with Builder::chaos(seed) perturbs the interleavings that
// magpie itself controls, so that races in the runtime or in the user's
// futures (a check-then-register window, a wake that lands mid-poll) show up
// in hundreds of runs instead of tens of thousands, and a failing seed can
// be replayed.
//
// What it perturbs, and where:
//   delays       a spin, sched_yield, or a sleep of tens of microseconds at
//                every core::ChaosPoint: before and after each poll, in the
//                task waker's clone and wake (which widens the window between
//                a future's check and its registration), in AtomicWaker
//                register and wake, before queueing a wake, and before and
//                after announcing a park;
//   steals       the first victim tried and the most a steal may take;
//   LIFO slot    a wake may bypass it (goes to the back of the local queue);
//   wakes        a wake may be delivered late: pushed to the inject queue,
//                behind other work, where any worker picks it up.
// Everything stays within the scheduler's own rules (DESIGN.md §3): chaos
// only picks among legal choices and adds delays, so a failure under chaos
// is a real bug, reachable without chaos, just rarer.
//
// Determinism ("chaos rule N"):
//  1. Worker i draws every decision from its own PRNG (splitmix64) seeded
//     from (seed, i); the decisions do not depend on time or on other
//     threads. Searching (steal victim and size) and parking draw from a
//     second, "idle" stream of the same worker, so how often an idle worker
//     happens to search or park (timing) does not shift the decisions made
//     for tasks (polls, wakers, wakes).
//  2. Hence, for one worker running a deterministic workload (no other
//     thread queues work while it runs), the same seed gives the same
//     sequence of decisions, and a different seed a different one. With
//     several workers the per-worker sequences are still seeded, but which
//     task meets which decision depends on the OS: a seed makes a failure
//     likelier to come back, not certain.
//  3. Only worker threads carry a hook (core::ChaosHookScope); a chaos
//     point on any other thread (the reactor, the user's threads) does
//     nothing.
//
// Decision log: with Builder::chaos_decision_log(capacity) each worker keeps
// its last `capacity` decisions (a ring) for Runtime::chaos_decisions(i),
// which tests use to check rule 2.
//
// Cost: with chaos off no Chaos exists; the worker tests one pointer and
// core::chaos_point one process-wide counter (chaos_point.h rule 1).
//
// Threads: a Chaos belongs to its worker thread, which alone draws from it;
// decisions() may be called from any thread (the log has a lock; it exists
// only in tests, under chaos).

#ifndef MAGPIE_RUNTIME_SCHEDULER_CHAOS_H_
#define MAGPIE_RUNTIME_SCHEDULER_CHAOS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/chaos_point.h"
#include "runtime/core/mutex.h"

namespace magpie {

// What chaos did at one point.
enum class ChaosAction : std::uint8_t {
  kNone,    // nothing
  kSpin,    // spun `value` iterations
  kYield,   // sched_yield()
  kSleep,   // slept `value` microseconds
  kChoose,  // picked `value` (a victim, a size, 0/1 for a yes/no choice)
};

struct ChaosDecision {
  core::ChaosPoint point;
  ChaosAction action;
  std::uint32_t value;
  bool operator==(const ChaosDecision&) const = default;
};

namespace scheduler {

class Chaos final : public core::ChaosHook {
 public:
  Chaos(std::uint64_t seed, std::size_t worker, std::size_t log_capacity);

  // A random delay (or none) at `point` (core::ChaosHook).
  void at(core::ChaosPoint point) override;

  // Scheduler decisions (worker.cc).
  bool bypass_lifo();
  bool defer_wake();
  // The idle stream (chaos rule 1): searching and parking.
  std::size_t steal_start(std::size_t num_workers);
  std::uint32_t steal_limit(std::uint32_t max);
  void before_park();
  void before_park_recheck();

  // The last log_capacity decisions, oldest first.
  std::vector<ChaosDecision> decisions() const;

 private:
  static std::uint64_t splitmix64(std::uint64_t& state);
  void delay(core::ChaosPoint point, std::uint64_t r);
  bool choose(core::ChaosPoint point, std::uint64_t one_in);
  void record(ChaosDecision decision);

  std::uint64_t state_;
  std::uint64_t idle_state_;
  const std::size_t log_capacity_;
  mutable core::Mutex mu_;
  std::deque<ChaosDecision> log_ ABSL_GUARDED_BY(mu_);
};

}  // namespace scheduler
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_SCHEDULER_CHAOS_H_
