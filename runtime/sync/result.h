// magpie::sync::Result<T, E> — a value or an error, for the synchronization
// primitives and channels (Tokio answers these with Rust's Result; C++20 has
// no std::expected yet).
//
//   Result<SemaphorePermit, TryAcquireError> r = sem.try_acquire(2);
//   if (r.ok()) use(*r); else if (r.error() == TryAcquireError::kClosed) ...
//
//   return sync::err(RecvError::kClosed);   // an error Result
//   return Result<void, E>();               // success without a value
//
// Result is a plain value, touched by one thread at a time. value() and
// error() have the precondition ok() / !ok() (asserted, like Poll::value()).

#ifndef MAGPIE_RUNTIME_SYNC_RESULT_H_
#define MAGPIE_RUNTIME_SYNC_RESULT_H_

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace magpie::sync {

// The error half, wrapped so that Result<T, T> is not ambiguous.
template <class E>
struct Err {
  E error;
};

template <class E>
Err<std::decay_t<E>> err(E&& error) {
  return Err<std::decay_t<E>>{std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(T value)  // NOLINT(google-explicit-constructor): Ok is the default.
      : v_(std::in_place_index<0>, std::move(value)) {}
  template <class F>
  requires std::is_constructible_v<E, F> Result(
      Err<F> e)  // NOLINT(google-explicit-constructor)
      : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return *std::get_if<0>(&v_);
  }
  const T& value() const& {
    assert(ok());
    return *std::get_if<0>(&v_);
  }
  T&& value() && {
    assert(ok());
    return std::move(*std::get_if<0>(&v_));
  }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }

  E& error() & {
    assert(!ok());
    return *std::get_if<1>(&v_);
  }
  const E& error() const& {
    assert(!ok());
    return *std::get_if<1>(&v_);
  }
  E&& error() && {
    assert(!ok());
    return std::move(*std::get_if<1>(&v_));
  }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <class F>
  requires std::is_constructible_v<E, F> Result(
      Err<F> e)  // NOLINT(google-explicit-constructor)
      : error_(std::in_place, std::move(e.error)) {}

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  void value() const { assert(ok()); }

  E& error() & {
    assert(!ok());
    return *error_;
  }
  const E& error() const& {
    assert(!ok());
    return *error_;
  }
  E&& error() && {
    assert(!ok());
    return std::move(*error_);
  }

 private:
  std::optional<E> error_;
};

}  // namespace magpie::sync

#endif  // MAGPIE_RUNTIME_SYNC_RESULT_H_
