// magpie::Arc<T> — an atomically reference-counted pointer whose count lives
// in the same allocation as the value, like Rust's std::sync::Arc.
//
//   Arc<Counter> a = make_arc<Counter>(0);
//   Arc<Counter> b = a;          // one more reference
//   Waker w = waker_from(a);     // a Waker that holds one more reference
//
// Ownership: each Arc owns one reference; the value is destroyed and the
// block freed when the last reference (Arc or Waker) goes, on whichever
// thread drops it. A moved-from Arc is empty.
//
// Threads: distinct Arc objects pointing at one value may be copied and
// destroyed concurrently from any threads. The pointee is shared: access to
// it needs its own synchronization (Arc gives only `const`-free access, the
// pointee decides what is safe).
//
// Memory ordering: increments are relaxed (a new reference can only be made
// from an existing one, which already keeps the block alive). Decrements are
// acq_rel, so every use of the value through any reference happens-before
// its destruction by whichever thread drops the last one.
//
// waker_from(Arc<W>) turns any W with `void wake_by_ref()` (and, optionally,
// `void wake()`, called when a waker is consumed) into a Waker whose clone
// and drop move this same count: no allocation per waker.

#ifndef MAGPIE_RUNTIME_CORE_ARC_H_
#define MAGPIE_RUNTIME_CORE_ARC_H_

#include <cstddef>
#include <cstdlib>
#include <utility>

#include "runtime/core/atomic.h"
#include "runtime/core/waker.h"

namespace magpie {

template <class T>
class Arc;

template <class T, class... Args>
Arc<T> make_arc(Args&&... args);

template <class T>
class Arc {
 public:
  using element_type = T;

  Arc() noexcept = default;
  Arc(const Arc& other) noexcept : block_(other.block_) { retain(); }
  Arc(Arc&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  Arc& operator=(const Arc& other) noexcept {
    Arc copy(other);
    swap(copy);
    return *this;
  }
  Arc& operator=(Arc&& other) noexcept {
    Arc taken(std::move(other));
    swap(taken);
    return *this;
  }
  ~Arc() { release(); }

  T* get() const noexcept { return block_ ? &block_->value : nullptr; }
  T* operator->() const noexcept { return &block_->value; }
  T& operator*() const noexcept { return block_->value; }
  explicit operator bool() const noexcept { return block_ != nullptr; }

  // The number of references (Arcs and Wakers) right now; a snapshot, for
  // tests and diagnostics only.
  std::size_t use_count() const noexcept {
    return block_ ? block_->strong.load(std::memory_order_relaxed) : 0;
  }

  bool ptr_eq(const Arc& other) const noexcept {
    return block_ == other.block_;
  }

  // Gives up this reference as an opaque pointer; pass it back to from_raw()
  // exactly once.
  const void* into_raw() && noexcept { return std::exchange(block_, nullptr); }
  // The same opaque pointer, borrowed: this Arc keeps its reference.
  const void* as_raw() const noexcept { return block_; }
  static Arc from_raw(const void* raw) noexcept {
    Arc arc;
    arc.block_ = static_cast<Block*>(const_cast<void*>(raw));
    return arc;
  }
  // Adds one reference to the block behind `raw` (from into_raw()).
  static void increment_raw(const void* raw) noexcept {
    Arc borrowed = from_raw(raw);
    borrowed.retain();
    std::move(borrowed).into_raw();
  }
  // The value behind `raw`, borrowed.
  static T& deref_raw(const void* raw) noexcept {
    return static_cast<Block*>(const_cast<void*>(raw))->value;
  }

  void swap(Arc& other) noexcept { std::swap(block_, other.block_); }

 private:
  template <class U, class... Args>
  friend Arc<U> make_arc(Args&&... args);

  struct Block {
    template <class... Args>
    explicit Block(Args&&... args) : value(std::forward<Args>(args)...) {}
    core::Atomic<std::size_t> strong{1};
    T value;
  };

  // A count this large can only come from a leak loop; abort like Rust does
  // rather than wrap around and free a live value.
  static constexpr std::size_t kMaxRefs = std::size_t{1} << 62;

  void retain() const noexcept {
    if (block_ == nullptr) return;
    // ORDERING: relaxed; see "Memory ordering" above.
    if (block_->strong.fetch_add(1, std::memory_order_relaxed) > kMaxRefs) {
      std::abort();
    }
  }

  void release() noexcept {
    Block* block = std::exchange(block_, nullptr);
    if (block == nullptr) return;
    // ORDERING: acq_rel — the release half publishes this holder's uses of
    // the value; the acquire half, on the decrement that reaches zero, sees
    // every other holder's before the delete. (A release decrement plus an
    // acquire fence would do, but ThreadSanitizer does not model fences;
    // on x86 both are the same locked instruction.)
    if (block->strong.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete block;
    }
  }

  Block* block_ = nullptr;
};

template <class T, class... Args>
Arc<T> make_arc(Args&&... args) {
  Arc<T> arc;
  arc.block_ = new typename Arc<T>::Block(std::forward<Args>(args)...);
  return arc;
}

namespace core_internal {

template <class W>
concept HasConsumingWake = requires(W& w) {
  w.wake();
};

// The RawWakerVTable for Arc<W>: data is the Arc's block.
template <class W>
struct ArcWakerVTable {
  static RawWaker clone(const void* data) {
    Arc<W>::increment_raw(data);
    return RawWaker{data, &kVTable};
  }
  static void wake(const void* data) {
    Arc<W> arc = Arc<W>::from_raw(data);
    if constexpr (HasConsumingWake<W>) {
      arc->wake();
    } else {
      arc->wake_by_ref();
    }
  }
  static void wake_by_ref(const void* data) {
    Arc<W>::deref_raw(data).wake_by_ref();
  }
  static void drop(const void* data) { Arc<W> arc = Arc<W>::from_raw(data); }

  static constexpr RawWakerVTable kVTable = {&clone, &wake, &wake_by_ref,
                                             &drop};
};

}  // namespace core_internal

// A Waker that owns one reference of `target`; waking it calls
// target->wake_by_ref() (or target->wake() when the waker is consumed and W
// has one).
template <class W>
requires requires(W& w) { w.wake_by_ref(); }
Waker waker_from(Arc<W> target) {
  return Waker::from_raw(RawWaker{std::move(target).into_raw(),
                                  &core_internal::ArcWakerVTable<W>::kVTable});
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_ARC_H_
