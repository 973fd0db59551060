// magpie::Waker — the handle a future leaves behind so that whoever completes
// it can get it polled again.
//
// A Waker is a RawWaker: a data pointer and a vtable of four operations,
// exactly as in Rust's std::task:
//
//   clone(data)       -> a new RawWaker for the same target (one more reference)
//   wake(data)        wake the target and release this reference
//   wake_by_ref(data) wake the target, keep this reference
//   drop(data)        release this reference
//
// Ownership: a Waker owns exactly one reference to its target. Copying
// clones (one more reference), moving transfers it, destroying drops it.
// `std::move(w).wake()` consumes the waker. A default-constructed or
// moved-from Waker is empty: waking it does nothing.
//
// Threads: a Waker may be sent to, woken from and dropped on any thread. One
// Waker object is a plain value (not safe to mutate from two threads at once);
// distinct clones of it are fully independent. Waking is allowed any number
// of times, at any time, including after the target finished or its executor
// shut down (then it does nothing): every vtable must keep that promise.
//
// The contract a future keeps (DESIGN.md §1): before answering Pending it
// hands the Waker of *this* poll's Context to whatever will complete it, on
// every Pending poll. will_wake() makes re-registering cheap when the stored
// waker already targets the same task.

#ifndef MAGPIE_RUNTIME_CORE_WAKER_H_
#define MAGPIE_RUNTIME_CORE_WAKER_H_

#include <utility>

namespace magpie {

struct RawWakerVTable;

struct RawWaker {
  const void* data;
  const RawWakerVTable* vtable;
};

struct RawWakerVTable {
  RawWaker (*clone)(const void* data);
  void (*wake)(const void* data);
  void (*wake_by_ref)(const void* data);
  void (*drop)(const void* data);
};

class Waker {
 public:
  // An empty waker: wake() and wake_by_ref() do nothing.
  Waker() noexcept : raw_{nullptr, nullptr} {}

  // Takes over the one reference `raw` carries.
  static Waker from_raw(RawWaker raw) noexcept { return Waker(raw); }

  Waker(const Waker& other) : raw_(other.clone_raw()) {}
  Waker(Waker&& other) noexcept
      : raw_(std::exchange(other.raw_, RawWaker{nullptr, nullptr})) {}
  Waker& operator=(const Waker& other) {
    if (this != &other && !will_wake(other)) {
      Waker copy(other);
      swap(copy);
    }
    return *this;
  }
  Waker& operator=(Waker&& other) noexcept {
    Waker taken(std::move(other));
    swap(taken);
    return *this;
  }
  ~Waker() {
    if (raw_.vtable != nullptr) raw_.vtable->drop(raw_.data);
  }

  // Wakes the target and releases this waker's reference; *this is empty
  // afterwards.
  void wake() && {
    RawWaker raw = std::exchange(raw_, RawWaker{nullptr, nullptr});
    if (raw.vtable != nullptr) raw.vtable->wake(raw.data);
  }

  // Wakes the target; this waker keeps its reference.
  void wake_by_ref() const {
    if (raw_.vtable != nullptr) raw_.vtable->wake_by_ref(raw_.data);
  }

  // True when waking `other` would wake the same target as waking *this.
  // Conservative: false negatives are allowed, false positives are not.
  bool will_wake(const Waker& other) const noexcept {
    return raw_.data == other.raw_.data && raw_.vtable == other.raw_.vtable;
  }

  bool is_empty() const noexcept { return raw_.vtable == nullptr; }

  // The underlying pair, still owned by *this.
  const RawWaker& as_raw() const noexcept { return raw_; }

  // Gives up ownership of the reference; the caller must pass it back to
  // from_raw() (or call the vtable's drop) exactly once.
  RawWaker into_raw() && noexcept {
    return std::exchange(raw_, RawWaker{nullptr, nullptr});
  }

  void swap(Waker& other) noexcept { std::swap(raw_, other.raw_); }

 private:
  explicit Waker(RawWaker raw) noexcept : raw_(raw) {}

  RawWaker clone_raw() const {
    return raw_.vtable != nullptr ? raw_.vtable->clone(raw_.data) : raw_;
  }

  RawWaker raw_;
};

// A waker whose operations all do nothing; handy for polling a future once
// when nobody needs to be told of progress (and in tests).
Waker noop_waker() noexcept;

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_WAKER_H_
