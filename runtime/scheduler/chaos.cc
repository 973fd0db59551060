#include "runtime/scheduler/chaos.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace magpie::scheduler {
namespace {

// The delay distribution, out of kDelayBuckets draws: three in four do
// nothing (so the common path still runs near speed and tests stay short),
// then spins and yields, and one in 512 a sleep long enough for another core
// to run whole polls meanwhile.
constexpr std::uint64_t kDelayBuckets = 512;
constexpr std::uint64_t kNoneBelow = 384;
constexpr std::uint64_t kSpinBelow = 448;
constexpr std::uint64_t kYieldBelow = 511;  // the rest sleep
constexpr std::uint32_t kMaxSpin = 512;
constexpr std::uint32_t kMinSleepMicros = 10;
constexpr std::uint32_t kMaxSleepMicros = 60;

// Odds of the scheduler's choices: a wake skips the LIFO slot one time in
// four, is delivered through the inject queue one time in eight; a steal is
// capped (at 1-4 tasks) one time in two.
constexpr std::uint64_t kLifoBypassOneIn = 4;
constexpr std::uint64_t kDeferWakeOneIn = 8;
constexpr std::uint64_t kCapStealOneIn = 2;
constexpr std::uint32_t kMaxCappedSteal = 4;

// Separates the two streams of one worker, and the workers of one seed.
constexpr std::uint64_t kIdleStream = 0xD1B54A32D192ED03ull;
constexpr std::uint64_t kWorkerStride = 0x9E3779B97F4A7C15ull;

void spin(std::uint32_t iterations) {
  for (std::uint32_t i = 0; i < iterations; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
  }
}

}  // namespace

Chaos::Chaos(std::uint64_t seed, std::size_t worker, std::size_t log_capacity)
    : state_(seed + kWorkerStride * (worker + 1)),
      idle_state_((seed ^ kIdleStream) + kWorkerStride * (worker + 1)),
      log_capacity_(log_capacity) {
  // Decorrelate nearby seeds before the first draw.
  (void)splitmix64(state_);
  (void)splitmix64(idle_state_);
}

std::uint64_t Chaos::splitmix64(std::uint64_t& state) {
  state += kWorkerStride;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void Chaos::at(core::ChaosPoint point) { delay(point, splitmix64(state_)); }

void Chaos::before_park() {
  delay(core::ChaosPoint::kPark, splitmix64(idle_state_));
}

void Chaos::before_park_recheck() {
  delay(core::ChaosPoint::kParkRecheck, splitmix64(idle_state_));
}

void Chaos::delay(core::ChaosPoint point, std::uint64_t r) {
  const std::uint64_t bucket = r % kDelayBuckets;
  const std::uint64_t rest = r / kDelayBuckets;
  if (bucket < kNoneBelow) {
    record({point, ChaosAction::kNone, 0});
  } else if (bucket < kSpinBelow) {
    const auto iterations = static_cast<std::uint32_t>(rest % kMaxSpin) + 1;
    record({point, ChaosAction::kSpin, iterations});
    spin(iterations);
  } else if (bucket < kYieldBelow) {
    record({point, ChaosAction::kYield, 0});
    sched_yield();
  } else {
    const auto micros =
        kMinSleepMicros + static_cast<std::uint32_t>(
                              rest % (kMaxSleepMicros - kMinSleepMicros + 1));
    record({point, ChaosAction::kSleep, micros});
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
}

bool Chaos::choose(core::ChaosPoint point, std::uint64_t one_in) {
  const bool yes = splitmix64(state_) % one_in == 0;
  record({point, ChaosAction::kChoose, yes ? 1u : 0u});
  return yes;
}

bool Chaos::bypass_lifo() {
  return choose(core::ChaosPoint::kLifoBypass, kLifoBypassOneIn);
}

bool Chaos::defer_wake() {
  return choose(core::ChaosPoint::kWakeDelivery, kDeferWakeOneIn);
}

std::size_t Chaos::steal_start(std::size_t num_workers) {
  const auto start =
      static_cast<std::uint32_t>(splitmix64(idle_state_) % num_workers);
  record({core::ChaosPoint::kStealVictim, ChaosAction::kChoose, start});
  return start;
}

std::uint32_t Chaos::steal_limit(std::uint32_t max) {
  const std::uint64_t r = splitmix64(idle_state_);
  std::uint32_t limit = max;
  if (r % kCapStealOneIn == 0) {
    limit = std::min<std::uint32_t>(
        max,
        static_cast<std::uint32_t>((r / kCapStealOneIn) % kMaxCappedSteal) + 1);
  }
  record({core::ChaosPoint::kStealSize, ChaosAction::kChoose, limit});
  return limit;
}

void Chaos::record(ChaosDecision decision) {
  if (log_capacity_ == 0) return;
  core::MutexLock lock(&mu_);
  if (log_.size() == log_capacity_) log_.pop_front();
  log_.push_back(decision);
}

std::vector<ChaosDecision> Chaos::decisions() const {
  core::MutexLock lock(&mu_);
  return std::vector<ChaosDecision>(log_.begin(), log_.end());
}

}  // namespace magpie::scheduler
