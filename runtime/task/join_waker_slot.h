// magpie::task::JoinWakerSlot — where a task keeps its JoinHandle's waker
// (Trailer::join_waker): one word where a Waker takes two.
//
// Why: the join waker is almost always a task waker (a task co_awaiting the
// JoinHandle registers the Waker of its own poll, {its Header*,
// &kTaskWakerVTable}), so its vtable half is known. Issue 10 ("Memory per
// task"): 8 bytes of every task cell.
//
// Encoding of the word:
//   0                  empty (no waker)
//   Header* (bit 0 clear)
//                      a task waker: owns one waker reference to that task,
//                      exactly as a Waker{header, &kTaskWakerVTable} would
//   Waker* | 1         any other waker (a block_on root's, a combinator's):
//                      a heap-allocated Waker the slot owns
//
// Cost of the second form: one 16-byte allocation per registration of a
// non-task waker (re-registering a waker that will_wake() the stored one
// allocates nothing). It is per-task memory only while such a waker is
// stored, and is counted as such in bench/task_memory.cc.
//
// Threads: none of its own. The slot is accessed under state rule 3
// (state.h), as the Waker it replaces was: by the JoinHandle while
// JOIN_WAKER is clear, read-only by the completing worker while JOIN_WAKER
// and COMPLETE are both set.
//
// The interface is the part of Waker's that the harness uses: `slot =
// waker` (store a copy), `slot = Waker()` (empty it), wake_by_ref() and
// will_wake().

#ifndef MAGPIE_RUNTIME_TASK_JOIN_WAKER_SLOT_H_
#define MAGPIE_RUNTIME_TASK_JOIN_WAKER_SLOT_H_

#include <cstdint>
#include <utility>

#include "runtime/core/waker.h"

namespace magpie::task {

// The RawWakerVTable of every spawned task (raw_task.h); data is the task's
// Header*.
extern const RawWakerVTable kTaskWakerVTable;

class JoinWakerSlot {
 public:
  JoinWakerSlot() = default;
  JoinWakerSlot(const JoinWakerSlot&) = delete;
  JoinWakerSlot& operator=(const JoinWakerSlot&) = delete;
  ~JoinWakerSlot() { reset(); }

  // Stores a copy of `waker` (nothing changes when it will_wake() the one
  // stored). May throw std::bad_alloc (a non-task waker), leaving the slot
  // as it was.
  JoinWakerSlot& operator=(const Waker& waker) {
    if (!will_wake(waker)) store(Waker(waker));
    return *this;
  }
  // Stores `waker`, taking its reference; `slot = Waker()` empties the slot.
  JoinWakerSlot& operator=(Waker&& waker) {
    store(std::move(waker));
    return *this;
  }

  // Wakes the stored waker, keeping it; nothing when empty.
  void wake_by_ref() const {
    if (word_ == 0) return;
    if (is_boxed()) {
      boxed()->wake_by_ref();
    } else {
      kTaskWakerVTable.wake_by_ref(task());
    }
  }

  // As Waker::will_wake: true when waking `other` would wake what the slot
  // wakes (an empty slot and an empty waker match).
  bool will_wake(const Waker& other) const noexcept {
    const RawWaker& raw = other.as_raw();
    if (word_ == 0) return raw.vtable == nullptr;
    if (is_boxed()) return boxed()->will_wake(other);
    return raw.vtable == &kTaskWakerVTable && raw.data == task();
  }

  bool is_empty() const noexcept { return word_ == 0; }

 private:
  static constexpr std::uintptr_t kBoxed = 1;

  bool is_boxed() const { return (word_ & kBoxed) != 0; }
  Waker* boxed() const { return reinterpret_cast<Waker*>(word_ & ~kBoxed); }
  const void* task() const { return reinterpret_cast<const void*>(word_); }

  // Replaces the slot's waker with `waker` (its reference moves in).
  void store(Waker&& waker) {
    const RawWaker& raw = waker.as_raw();
    std::uintptr_t next = 0;
    if (raw.vtable == &kTaskWakerVTable &&
        (reinterpret_cast<std::uintptr_t>(raw.data) & kBoxed) == 0) {
      next = reinterpret_cast<std::uintptr_t>(std::move(waker).into_raw().data);
    } else if (raw.vtable != nullptr) {
      next = reinterpret_cast<std::uintptr_t>(new Waker(std::move(waker))) |
             kBoxed;
    }
    drop(std::exchange(word_, next));
  }
  void reset() noexcept { drop(std::exchange(word_, 0)); }
  // Releases what `word` held; the slot no longer holds it.
  static void drop(std::uintptr_t word) noexcept {
    if (word != 0) release(word);
  }
  // Out of line (header.cc), so that the cell's constructor and destructor,
  // which contain a slot's destructor, stay small enough to inline.
  static void release(std::uintptr_t word) noexcept;

  std::uintptr_t word_ = 0;
};

static_assert(sizeof(JoinWakerSlot) == sizeof(void*));

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_JOIN_WAKER_SLOT_H_
