// magpie::scheduler::BasicLocalQueue<Capacity> — a worker's bounded run queue
// of task::Notified: the owner pushes and pops, other workers steal half.
//
// Design (Tokio's local queue; DESIGN.md §3)
// ==========================================
// A ring of Capacity slots, each a `core::Atomic<task::Header*>` that owns one
// task reference while it lies between `head.real` and `tail`. Positions are
// free-running u32 counters; a position maps to slot `pos & (Capacity - 1)`,
// and u32 wrap-around is harmless because every comparison is a wrapping
// difference (Capacity <= 2^31 keeps "full" and "empty" apart).
//
//   tail  u32, written only by the owner. One past the last queued task.
//   head  u64, packed, CAS'd by the owner and by thieves:
//
//      63                          32 31                           0
//     +------------------------------+------------------------------+
//     |            steal             |             real             |
//     +------------------------------+------------------------------+
//
//     real   the next task to pop or steal. Tasks in [real, tail) are queued.
//     steal  the first slot a thief is still copying out. Slots in
//            [steal, real) are claimed by that thief: no longer queued, but
//            not yet free for the owner to overwrite.
//
// States of the packed head:
//
//   state          | condition     | who may move it, and how
//   ---------------+---------------+-------------------------------------------
//   idle           | steal == real | owner pop:      (r, r)   -> (r+1, r+1)
//                  |               | owner overflow: (r, r)   -> (r+C/2, r+C/2)
//                  |               | a thief claims: (r, r)   -> (r, r+n)
//   being stolen   | steal != real | owner pop:      (s, r)   -> (s, r+1)
//                  |               | the thief ends: (s, r)   -> (r, r)
//                  |               | other thieves give up (rule 4)
//
// Which thread calls what:
//   owner (the worker the queue belongs to): push_back, pop, drain, and
//     steal_into with its own queue as `dst`. The owner may change thread
//     only through a happens-before hand-off (e.g. thread start).
//   thieves (other workers): steal_into on *this; is_empty, len.
//   anyone: is_empty, len, kCapacity.
//
// Rules (cited as "local queue rule N"):
//  1. Only the owner writes `tail` and the slots. It writes slot `tail` only
//     while tail - steal < Capacity, so it never overwrites a slot a thief is
//     copying; it publishes the slot with a release store of `tail`, and
//     whoever reads the slot first acquires `tail`.
//  2. Every write to `head` is a release, and every load of `head` that a
//     thief or len() follows with a load of `tail` is an acquire (the owner
//     reads its own tail). Whoever moved `real` to r had already seen
//     tail >= r, so a reader that sees real = r also sees tail >= r:
//     `tail - real` never underflows and always counts real tasks.
//  3. A thief copies slots only while it holds the claim, and ends the claim
//     with a release CAS (steal := real). The owner's acquire load of `head`
//     (push_back, and steal_into's check of its own `dst`) that sees the claim
//     ended therefore happens after the copy, before the slots are reused.
//  4. One thief at a time: a thief that finds steal != real gives up.
//  5. steal_into writes into `dst` only as dst's owner (rule 1 for dst): into
//     slots [dst.tail, dst.tail + n) where n <= Capacity/2 and it refused
//     unless dst.tail - dst.steal <= Capacity/2, so those slots are free.
//
// Memory ordering: slot loads and stores are relaxed; they are ordered by
// `tail` (rule 1) and `head` (rules 2, 3). The owner reads its own `tail`
// relaxed. Tasks are handed between threads only through these edges; the
// task's own state word orders everything about the task itself.
//
// Lifetime: the owner drains the queue at shutdown (drain()); the destructor
// asserts it is empty. The queue is neither copyable nor movable (thieves
// hold its address).

#ifndef MAGPIE_RUNTIME_SCHEDULER_LOCAL_QUEUE_H_
#define MAGPIE_RUNTIME_SCHEDULER_LOCAL_QUEUE_H_

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <utility>

#include "runtime/core/atomic.h"
#include "runtime/scheduler/inject.h"
#include "runtime/task/header.h"
#include "runtime/task/raw_task.h"

namespace magpie::scheduler {

// What push_back did with the task.
enum class [[nodiscard]] PushResult{
    kPushed,      // queued locally
    kOverflowed,  // the queue was full: the task (and maybe half the queue)
                  // went to the Inject queue; the caller should wake a worker
};

template <std::uint32_t Capacity>
class BasicLocalQueue {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0,
                "Capacity must be a power of two, at least 2");
  static_assert(Capacity <= (std::uint32_t{1} << 31),
                "wrapping u32 positions must tell full from empty");

 public:
  static constexpr std::uint32_t kCapacity = Capacity;

  BasicLocalQueue() = default;
  BasicLocalQueue(const BasicLocalQueue&) = delete;
  BasicLocalQueue& operator=(const BasicLocalQueue&) = delete;
  ~BasicLocalQueue() { assert(is_empty() && "drain() the queue first"); }

  // Owner only. Queues `task` at the tail. When full with no steal in
  // progress, moves the oldest Capacity/2 tasks plus `task` to `overflow` in
  // one batch (order kept); when full while a thief is mid-steal (which will
  // free room soon), sends only `task` there.
  // Inline: the room check and the two stores; a full queue takes the
  // out-of-line push_back_full.
  PushResult push_back(task::Notified task, Inject& overflow) {
    assert(task && "push_back of an empty Notified");
    // ORDERING: relaxed; only this thread writes tail (rule 1).
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    // ORDERING: acquire pairs with the release CAS that ends a thief's claim
    // (rule 3): the slots it copied are free before we overwrite them.
    const Head head = unpack(head_.load(std::memory_order_acquire));
    if (tail - head.steal >= Capacity) [[unlikely]] {
      return push_back_full(std::move(task), overflow);
    }
    slot(tail).store(std::move(task).into_raw(), std::memory_order_relaxed);
    // ORDERING: release publishes the slot; pairs with the acquire loads of
    // tail in claim_and_copy and len() (rule 1).
    tail_.store(tail + 1, std::memory_order_release);
    return PushResult::kPushed;
  }

  // Owner only. The oldest queued task (FIFO), or an empty Notified.
  task::Notified pop();

  // Owner only. Drops every queued task's reference (shutdown).
  void drain();

  // Called by the owner of `dst` (its own queue) to steal about half of the
  // tasks in *this: ceil(len / 2). One stolen task is returned to run now,
  // the rest are queued in `dst`. Returns an empty Notified if nothing was
  // stolen: *this is empty, another thief is mid-steal, or `dst` is more
  // than half full. At most `max` tasks (at least 1) are taken; chaos
  // scheduling varies it (chaos.h). With `taken`, stores how many tasks
  // were taken, the returned one included (0 when none): dst's len() cannot
  // tell, since dst's own thieves may take from it meanwhile.
  task::Notified steal_into(BasicLocalQueue& dst, std::uint32_t max = Capacity,
                            std::uint32_t* taken = nullptr);

  // Any thread; a snapshot that may be stale when it returns.
  bool is_empty() const { return len() == 0; }
  std::uint32_t len() const;

 private:
  static constexpr std::uint32_t kMask = Capacity - 1;
  // How many queued tasks an overflow moves to the Inject queue (the new
  // task goes along): half, so the next Capacity/2 pushes stay local.
  static constexpr std::uint32_t kOverflowBatch = Capacity / 2;

  struct Head {
    std::uint32_t steal;
    std::uint32_t real;
  };
  static constexpr std::uint64_t pack(std::uint32_t steal, std::uint32_t real) {
    return (std::uint64_t{steal} << 32) | real;
  }
  static constexpr Head unpack(std::uint64_t packed) {
    return Head{static_cast<std::uint32_t>(packed >> 32),
                static_cast<std::uint32_t>(packed)};
  }

  core::Atomic<task::Header*>& slot(std::uint32_t pos) {
    return slots_[pos & kMask];
  }

  // push_back when it found the queue full; see the definition.
  [[gnu::noinline]] PushResult push_back_full(task::Notified task,
                                              Inject& overflow);
  // push_back's overflow; see the definition.
  bool push_overflow(task::Notified& task, std::uint32_t real,
                     std::uint32_t tail, Inject& overflow);
  // Claims about half of *this, copies it into dst's slots from `dst_tail`
  // (unpublished), and ends the claim. Returns how many were copied.
  std::uint32_t claim_and_copy(BasicLocalQueue& dst, std::uint32_t dst_tail,
                               std::uint32_t max);

  // Thieves CAS `head` and read `tail`; the owner writes `tail` on every
  // push. Separate lines keep the owner's pushes off the thieves' CAS line.
  alignas(core::kCacheLineSize) core::Atomic<std::uint64_t> head_{0};
  alignas(core::kCacheLineSize) core::Atomic<std::uint32_t> tail_{0};
  alignas(core::kCacheLineSize)
      std::array<core::Atomic<task::Header*>, Capacity> slots_{};
};

// The per-worker queue of the multi-threaded runtime.
using LocalQueue = BasicLocalQueue<256>;

// ---------------------------------------------------------------------------
// Definitions.

// push_back's path for a queue it found full (it may have room by now).
template <std::uint32_t Capacity>
PushResult BasicLocalQueue<Capacity>::push_back_full(task::Notified task,
                                                     Inject& overflow) {
  // ORDERING: relaxed; only this thread writes tail (rule 1).
  const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
  while (true) {
    // ORDERING: acquire pairs with the release CAS that ends a thief's claim
    // (rule 3): the slots it copied are free before we overwrite them.
    const Head head = unpack(head_.load(std::memory_order_acquire));
    if (tail - head.steal < Capacity) break;  // room
    if (head.steal != head.real) {
      // Full, but a thief is copying out; it will make room. Don't wait.
      overflow.push(std::move(task));
      return PushResult::kOverflowed;
    }
    if (push_overflow(task, head.real, tail, overflow)) {
      return PushResult::kOverflowed;
    }
    // A thief claimed first (the queue may no longer be full): look again.
  }
  slot(tail).store(std::move(task).into_raw(), std::memory_order_relaxed);
  // ORDERING: release publishes the slot; pairs with the acquire loads of
  // tail in claim_and_copy and len() (rule 1).
  tail_.store(tail + 1, std::memory_order_release);
  return PushResult::kPushed;
}

// Moves the oldest half of a full queue, then `task`, to `overflow`. Claims
// the half with a CAS on head first (so no thief can take it), then copies
// it out; safe because only this thread writes slots. Returns false, with
// `task` untouched, if a thief changed head first.
template <std::uint32_t Capacity>
bool BasicLocalQueue<Capacity>::push_overflow(task::Notified& task,
                                              std::uint32_t real,
                                              std::uint32_t tail,
                                              Inject& overflow) {
  assert(tail - real == Capacity && "overflow of a queue that is not full");
  std::uint64_t expected = pack(real, real);
  const std::uint32_t next = real + kOverflowBatch;
  // ORDERING: success release (rule 2: we move real forward; a thief that
  // acquires the new head must see the tail we published before it).
  // Failure relaxed: push_back starts over with a fresh acquire load.
  if (!head_.compare_exchange_strong(expected, pack(next, next),
                                     std::memory_order_release,
                                     std::memory_order_relaxed)) {
    return false;
  }
  std::array<task::Header*, kOverflowBatch + 1> batch;
  for (std::uint32_t i = 0; i < kOverflowBatch; ++i) {
    batch[i] = slot(real + i).load(std::memory_order_relaxed);
  }
  batch[kOverflowBatch] = std::move(task).into_raw();
  overflow.push_batch(batch.data(), batch.size());
  return true;
}

template <std::uint32_t Capacity>
task::Notified BasicLocalQueue<Capacity>::pop() {
  // ORDERING: relaxed; the CAS below validates it, and the slot we take was
  // written by this thread.
  std::uint64_t packed = head_.load(std::memory_order_relaxed);
  std::uint32_t taken;
  while (true) {
    const Head head = unpack(packed);
    // ORDERING: relaxed; only this thread writes tail (rule 1).
    if (head.real == tail_.load(std::memory_order_relaxed)) return {};
    const std::uint32_t next_real = head.real + 1;
    // With no thief, steal follows real; otherwise the thief's claim on
    // [steal, real) stays and only real moves.
    const std::uint64_t next = head.steal == head.real
                                   ? pack(next_real, next_real)
                                   : pack(head.steal, next_real);
    // ORDERING: success release (rule 2: we move real forward). Failure
    // relaxed: we only retry the CAS with the value it returns.
    if (head_.compare_exchange_weak(packed, next, std::memory_order_release,
                                    std::memory_order_relaxed)) {
      taken = head.real;
      break;
    }
  }
  return task::Notified::from_raw(slot(taken).load(std::memory_order_relaxed));
}

template <std::uint32_t Capacity>
void BasicLocalQueue<Capacity>::drain() {
  while (task::Notified task = pop()) {
    // Destroying the Notified drops the queue's reference.
  }
}

template <std::uint32_t Capacity>
task::Notified BasicLocalQueue<Capacity>::steal_into(BasicLocalQueue& dst,
                                                     std::uint32_t max,
                                                     std::uint32_t* taken) {
  assert(&dst != this && "steal_into its own queue");
  if (taken != nullptr) *taken = 0;
  // ORDERING: relaxed; we own dst, only we write its tail (rule 1).
  const std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
  // ORDERING: acquire pairs with the release CAS that ends a claim on dst
  // (rule 3): slots a thief of dst copied are free before we refill them.
  const Head dst_head = unpack(dst.head_.load(std::memory_order_acquire));
  if (dst_tail - dst_head.steal > Capacity / 2) return {};  // rule 5

  std::uint32_t n = claim_and_copy(dst, dst_tail, max);
  if (n == 0) return {};
  if (taken != nullptr) *taken = n;
  // Run the last one now; publish the others in dst.
  --n;
  task::Notified ret = task::Notified::from_raw(
      dst.slot(dst_tail + n).load(std::memory_order_relaxed));
  if (n > 0) {
    // ORDERING: release publishes the copied slots; pairs with the acquire
    // loads of dst's tail by dst's thieves and len() (rule 1).
    dst.tail_.store(dst_tail + n, std::memory_order_release);
  }
  return ret;
}

template <std::uint32_t Capacity>
std::uint32_t BasicLocalQueue<Capacity>::claim_and_copy(BasicLocalQueue& dst,
                                                        std::uint32_t dst_tail,
                                                        std::uint32_t max) {
  // Step 1: claim [real, real + n) by moving real but not steal.
  // ORDERING: acquire pairs with the release writes of head (rule 2), so the
  // tail we load next is at least real.
  std::uint64_t packed = head_.load(std::memory_order_acquire);
  std::uint32_t first;
  std::uint32_t n;
  while (true) {
    const Head head = unpack(packed);
    if (head.steal != head.real) return 0;  // another thief (rule 4)
    // ORDERING: acquire pairs with the owner's release store of tail
    // (rule 1): the slots below tail hold what the owner wrote.
    const std::uint32_t tail = tail_.load(std::memory_order_acquire);
    const std::uint32_t available = tail - head.real;
    n = std::min(available - available / 2, max);
    if (n == 0) return 0;
    // ORDERING: success release (rule 2: we move real forward, having seen
    // tail >= real + n). Failure acquire (rule 2: we load tail again next);
    // success is acq_rel only because GCC 12 refuses a failure order
    // stronger than the success order.
    if (head_.compare_exchange_weak(packed, pack(head.steal, head.real + n),
                                    std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      first = head.real;
      break;
    }
  }
  // A successful CAS saw head unchanged since our load, so steal <= real <=
  // tail <= steal + Capacity held together and n is at most Capacity / 2.
  assert(n <= Capacity / 2);

  // Step 2: copy out. The owner does not overwrite [steal, ...) (rule 1) and
  // dst's slots from dst_tail are ours (rule 5).
  for (std::uint32_t i = 0; i < n; ++i) {
    dst.slot(dst_tail + i)
        .store(slot(first + i).load(std::memory_order_relaxed),
               std::memory_order_relaxed);
  }

  // Step 3: end the claim, steal := real. Only the owner's pops move head
  // meanwhile, and they keep steal, so this loop ends.
  std::uint64_t claimed = pack(first, first + n);
  while (true) {
    const std::uint32_t real = unpack(claimed).real;
    // ORDERING: release pairs with the owner's acquire load of head in
    // push_back / steal_into (rule 3): our copy-out happens before the owner
    // reuses these slots. Failure relaxed: we retry with the returned value.
    if (head_.compare_exchange_weak(claimed, pack(real, real),
                                    std::memory_order_release,
                                    std::memory_order_relaxed)) {
      return n;
    }
    assert(unpack(claimed).steal == first && "claim lost while stealing");
  }
}

template <std::uint32_t Capacity>
std::uint32_t BasicLocalQueue<Capacity>::len() const {
  // ORDERING: acquire pairs with the release writes of head (rule 2), so the
  // tail we load next is at least real.
  const Head head = unpack(head_.load(std::memory_order_acquire));
  // ORDERING: acquire pairs with the owner's release store of tail (rule 1).
  const std::uint32_t tail = tail_.load(std::memory_order_acquire);
  // If head moved on between the two loads, tail - real can exceed what
  // was ever queued at once; clamp the snapshot.
  return std::min(tail - head.real, Capacity);
}

}  // namespace magpie::scheduler

#endif  // MAGPIE_RUNTIME_SCHEDULER_LOCAL_QUEUE_H_
