// magpie::Poll<T> — the answer of one poll of a future: Pending, or Ready
// holding the output.
//
//   Poll<int> p = magpie::Pending;   // not yet
//   Poll<int> q = 42;                // ready with 42 (implicit from T)
//   Poll<int> r = magpie::ready(42); // the same, spelled out
//   Poll<void> s = magpie::ready();  // ready, no value
//
// A Poll is a plain value: it owns the output while it holds it, and is
// touched by one thread at a time like any other value.

#ifndef MAGPIE_RUNTIME_CORE_POLL_H_
#define MAGPIE_RUNTIME_CORE_POLL_H_

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>

namespace magpie {

// The tag that converts to a pending Poll of any type: `return Pending;`.
struct PendingTag {
  explicit constexpr PendingTag(int) {}
};
inline constexpr PendingTag Pending{0};

// The tag a ready Poll<void> is built from; see ready().
struct ReadyVoidTag {
  explicit constexpr ReadyVoidTag(int) {}
};

template <class T>
class [[nodiscard]] Poll {
 public:
  using value_type = T;

  Poll(PendingTag) {}  // NOLINT(google-explicit-constructor): the point.
  Poll(T value)        // NOLINT(google-explicit-constructor): the point.
      : value_(std::in_place, std::move(value)) {}

  bool is_ready() const { return value_.has_value(); }
  bool is_pending() const { return !value_.has_value(); }

  // The output. Precondition: is_ready().
  T& value() & {
    assert(is_ready());
    return *value_;
  }
  const T& value() const& {
    assert(is_ready());
    return *value_;
  }
  T&& value() && {
    assert(is_ready());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class [[nodiscard]] Poll<void> {
 public:
  using value_type = void;

  Poll(PendingTag) {}                   // NOLINT(google-explicit-constructor)
  Poll(ReadyVoidTag) : ready_(true) {}  // NOLINT(google-explicit-constructor)

  bool is_ready() const { return ready_; }
  bool is_pending() const { return !ready_; }
  void value() const { assert(ready_); }

 private:
  bool ready_ = false;
};

// A ready Poll holding `value`.
template <class T>
Poll<std::decay_t<T>> ready(T&& value) {
  return Poll<std::decay_t<T>>(std::forward<T>(value));
}

// A ready Poll<void>.
inline Poll<void> ready() { return Poll<void>(ReadyVoidTag{0}); }

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_POLL_H_
