#include "runtime/task/state.h"

#include <cassert>
#include <cstdlib>

namespace magpie::task {
namespace {

using S = Snapshot;

// Runs `step` on the current word until its CAS succeeds. `step` takes the
// current bits and returns {new_bits, result}; a std::nullopt-like "no
// change" is expressed by returning the same bits (the CAS is then skipped).
template <class Step>
auto Update(core::Atomic<std::uint64_t>& word, Step step) {
  // ORDERING: acquire on load pairs with the acq_rel CAS of the thread that
  // made the previous transition.
  std::uint64_t current = word.load(std::memory_order_acquire);
  while (true) {
    auto [next, result] = step(current);
    if (next == current) return result;
    // ORDERING: acq_rel — release publishes our writes (future state,
    // output, join waker) to the next transition; acquire sees theirs.
    if (word.compare_exchange_weak(current, next, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return result;
    }
  }
}

// Abort before a count could carry into the field above it.
constexpr std::uint64_t kRefLimit = S::kRefMask >> (S::kRefShift + 1);
constexpr std::uint64_t kWakerLimit = std::uint64_t{1} << 31;

bool is_zero(std::uint64_t bits) { return S(bits).ref_count() == 0; }

}  // namespace

State::State(std::uint64_t refs)
    : word_(S::kNotified | S::kJoinInterest | refs * S::kRefOne) {}

Snapshot State::load() const {
  // ORDERING: acquire pairs with the acq_rel transitions (a JoinHandle that
  // sees COMPLETE also sees the output).
  return Snapshot(word_.load(std::memory_order_acquire));
}

TransitionToRunning State::transition_to_running() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    if (s.is_running() || s.is_complete()) {
      // Someone else owns it (shutdown claimed it, or it completed): drop
      // the queue's reference.
      assert(s.ref_count() > 0);
      std::uint64_t next = bits - S::kRefOne;
      return std::pair{next, S(next).ref_count() == 0
                                 ? TransitionToRunning::kDealloc
                                 : TransitionToRunning::kFailed};
    }
    assert(s.is_notified());
    std::uint64_t next = (bits | S::kRunning) & ~S::kNotified;
    return std::pair{next, s.is_cancelled() ? TransitionToRunning::kCancelled
                                            : TransitionToRunning::kSuccess};
  });
}

TransitionToIdle State::transition_to_idle() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    assert(s.is_running());
    if (s.is_cancelled()) return std::pair{bits, TransitionToIdle::kCancelled};
    std::uint64_t next = bits & ~S::kRunning;
    if (s.is_notified()) {
      // The running reference becomes the new queue entry's reference.
      return std::pair{next, TransitionToIdle::kOkNotified};
    }
    assert(s.holder_count() > 0);
    if (s.waker_count() == 0 && s.holder_count() > 1) {
      // State rule 5: no Waker is alive and none was woken; nothing can
      // wake it. Keep the runner's reference for the report.
      return std::pair{next, TransitionToIdle::kOkLost};
    }
    next -= S::kRefOne;
    return std::pair{next, is_zero(next) ? TransitionToIdle::kOkDealloc
                                         : TransitionToIdle::kOk};
  });
}

TransitionToComplete State::transition_to_complete() {
  // ORDERING: acq_rel; release publishes the stored output to the
  // JoinHandle's acquire load (state rule 4).
  const std::uint64_t prev =
      word_.fetch_xor(S::kRunning | S::kComplete, std::memory_order_acq_rel);
  const S s(prev);
  assert(s.is_running() && !s.is_complete());
  if (!s.is_join_interested()) return TransitionToComplete::kDropOutput;
  if (s.is_join_waker_set()) return TransitionToComplete::kWakeJoinWaker;
  return TransitionToComplete::kDoNothing;
}

TransitionToNotified State::transition_to_notified_by_ref() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    // One test on the common path (idle or RUNNING).
    if (bits & (S::kComplete | S::kNotified)) {
      return std::pair{bits, s.is_complete()
                                 ? TransitionToNotified::kStale
                                 : TransitionToNotified::kDoNothing};
    }
    if (s.is_running()) {
      return std::pair{bits | S::kNotified, TransitionToNotified::kDoNothing};
    }
    if (s.holder_count() >= kRefLimit) std::abort();
    return std::pair{(bits | S::kNotified) + S::kRefOne,
                     TransitionToNotified::kSubmit};
  });
}

TransitionToNotified State::transition_to_notified_by_val() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    assert(s.waker_count() > 0);
    const std::uint64_t next = bits - S::kWakerOne;
    if (s.is_running()) {
      // The runner holds a reference too, so this cannot be the last.
      return std::pair{next | S::kNotified, TransitionToNotified::kDoNothing};
    }
    if (s.is_complete()) {
      return std::pair{next, is_zero(next) ? TransitionToNotified::kStaleDealloc
                                           : TransitionToNotified::kStale};
    }
    if (s.is_notified()) {
      return std::pair{next, is_zero(next) ? TransitionToNotified::kDealloc
                                           : TransitionToNotified::kDoNothing};
    }
    // The Waker's reference becomes the queue entry's, in this one step.
    if (s.holder_count() >= kRefLimit) std::abort();
    return std::pair{(next | S::kNotified) + S::kRefOne,
                     TransitionToNotified::kSubmit};
  });
}

TransitionToNotified State::transition_to_notified_and_cancel() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    if (s.is_complete() || s.is_cancelled()) {
      return std::pair{bits, TransitionToNotified::kDoNothing};
    }
    if (s.is_running()) {
      return std::pair{bits | S::kNotified | S::kCancelled,
                       TransitionToNotified::kDoNothing};
    }
    if (s.is_notified()) {
      return std::pair{bits | S::kCancelled, TransitionToNotified::kDoNothing};
    }
    if (s.holder_count() >= kRefLimit) std::abort();
    return std::pair{(bits | S::kNotified | S::kCancelled) + S::kRefOne,
                     TransitionToNotified::kSubmit};
  });
}

TransitionToShutdown State::transition_to_shutdown() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    if (s.is_idle()) {
      return std::pair{bits | S::kRunning | S::kCancelled,
                       TransitionToShutdown::kCancelNow};
    }
    return std::pair{bits | S::kCancelled, TransitionToShutdown::kDoNothing};
  });
}

TransitionToJoinHandleDrop State::unset_join_interested() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    assert(s.is_join_interested());
    std::uint64_t next = bits & ~S::kJoinInterest;
    if (s.is_complete()) {
      return std::pair{next, TransitionToJoinHandleDrop::kDropOutput};
    }
    if (!s.is_join_waker_set() && s.holder_count() > 1) {
      // State rule 3: with JOIN_WAKER clear the slot is the handle's and
      // empty, so nothing is left for it to do; another holder keeps the
      // cell alive, so this is never the last reference.
      return std::pair{next - S::kRefOne, TransitionToJoinHandleDrop::kDone};
    }
    return std::pair{next & ~S::kJoinWaker,
                     TransitionToJoinHandleDrop::kDropJoinWaker};
  });
}

TransitionJoinWaker State::set_join_waker() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    assert(s.is_join_interested() && !s.is_join_waker_set());
    if (s.is_complete()) return std::pair{bits, TransitionJoinWaker::kComplete};
    return std::pair{bits | S::kJoinWaker, TransitionJoinWaker::kOk};
  });
}

TransitionJoinWaker State::unset_join_waker() {
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    assert(s.is_join_interested() && s.is_join_waker_set());
    if (s.is_complete()) return std::pair{bits, TransitionJoinWaker::kComplete};
    return std::pair{bits & ~S::kJoinWaker, TransitionJoinWaker::kOk};
  });
}

void State::ref_inc() {
  // ORDERING: relaxed; a reference is only ever made from a live one.
  const std::uint64_t prev =
      word_.fetch_add(S::kRefOne, std::memory_order_relaxed);
  if (S(prev).holder_count() >= kRefLimit) std::abort();
}

bool State::ref_dec(std::uint64_t count) {
  // ORDERING: acq_rel so the thread dropping the last reference sees every
  // use made through the others before it frees the task.
  const std::uint64_t prev =
      word_.fetch_sub(count * S::kRefOne, std::memory_order_acq_rel);
  assert(S(prev).holder_count() >= count);
  return S(prev).ref_count() == count;
}

void State::waker_inc() {
  // ORDERING: relaxed; a Waker is only ever cloned from a live one (or the
  // borrowed one, backed by the runner's reference).
  const std::uint64_t prev =
      word_.fetch_add(S::kWakerOne, std::memory_order_relaxed);
  if (S(prev).waker_count() >= kWakerLimit) std::abort();
}

TransitionToWakerDrop State::waker_dec() {
  // ORDERING: acq_rel (Update), as ref_dec: the thread that frees the task
  // sees every use made through the other references.
  return Update(word_, [](std::uint64_t bits) {
    S s(bits);
    assert(s.waker_count() > 0);
    std::uint64_t next = bits - S::kWakerOne;
    if (S(next).is_lost() && s.holder_count() > 0) {
      // State rule 5: the last Waker of an idle task. It becomes a holder
      // reference, so the task outlives the report whatever abort() or
      // shutdown do meanwhile.
      if (s.holder_count() >= kRefLimit) std::abort();
      return std::pair{next + S::kRefOne, TransitionToWakerDrop::kLost};
    }
    return std::pair{next, is_zero(next) ? TransitionToWakerDrop::kDealloc
                                         : TransitionToWakerDrop::kDoNothing};
  });
}

}  // namespace magpie::task
