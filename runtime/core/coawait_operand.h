// magpie::core co_await operand safety — which futures may be written as a
// temporary inside a `co_await` on a compiler that destroys such temporaries
// twice.
//
// The fault: g++ before 13 (Debian 12's default g++ 12.2 included) copies a
// temporary of aggregate or closure type that a co_await full-expression
// creates into the coroutine frame without calling a constructor, then runs
// the destructor on both: one construction, two destructions. A temporary
// that owns something (a shared_ptr, a string on the heap, a captured
// std::vector) frees it twice. clang does not do this. The forms, measured
// with a counting probe on both compilers, are mapped in
// tests/regressions/coawait_operand_lifetime_test.cc and docs/model.md
// ("Coroutine rules"); in short: a braced aggregate (`co_await Job{p}`), a
// capturing lambda (`co_await poll_fn([p](Context&) {...})`), and either
// one nested in the arguments of a call inside the operand, including the
// arguments of a Task coroutine. A class with a constructor, built with
// parentheses or braces, is safe, and so is any named local.
//
// What this header gives: the traits with which Task's await_transform
// (runtime/coro/task.h, rule 8) refuses at compile time, on an affected
// compiler, every form magpie can see from the operand's type:
//  1. An rvalue operand of aggregate type that is not trivially destructible.
//  2. An rvalue operand whose type says it was built from such a temporary:
//     it declares `static constexpr bool kBuiltFromTemporary = true;`.
//     magpie's future factories (poll_fn, timeout) set it when their
//     argument was an rvalue aggregate, an rvalue closure or functor that is
//     not trivially destructible, or itself a future built from one; the
//     combinators (select, select_all, join, join_all) when any child type
//     is an owning aggregate or built from a temporary (they cannot tell a
//     copied lvalue from a temporary, so they err on the side of refusing).
// The forms no type can reveal (a temporary passed to spawn(), to a Task
// coroutine, or to a user's own factory) are found by tools/coawait_lint.py,
// which CI runs over the whole tree.
//
// A trivially destructible temporary (an aggregate of plain values, a
// lambda capturing only references) is never refused: destroying it twice
// does nothing.
//
// Threads: compile-time only.

#ifndef MAGPIE_RUNTIME_CORE_COAWAIT_OPERAND_H_
#define MAGPIE_RUNTIME_CORE_COAWAIT_OPERAND_H_

#include <type_traits>

namespace magpie::core {

// True on the compilers with the fault (g++ < 13). No g++ 13 was available
// to test on; the bound follows the g++ 12 measurements and clang's
// correctness, and errs on the side of refusing.
// The macro is for tests that must leave a refused form out of the build.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define MAGPIE_COAWAIT_TEMPORARY_DESTROYED_TWICE 1
#else
#define MAGPIE_COAWAIT_TEMPORARY_DESTROYED_TWICE 0
#endif
inline constexpr bool kCoAwaitTemporaryDestroyedTwice =
    MAGPIE_COAWAIT_TEMPORARY_DESTROYED_TWICE != 0;

namespace coawait_internal {

template <class F>
concept DeclaresBuiltFromTemporary = requires {
  { F::kBuiltFromTemporary } -> std::convertible_to<bool>;
};

}  // namespace coawait_internal

// An object of type T whose double destruction is harmful: a class that is
// an aggregate and not trivially destructible.
template <class T>
inline constexpr bool kAggregateOwningTemporary =
    std::is_class_v<T>&& std::is_aggregate_v<T> &&
    !std::is_trivially_destructible_v<T>;

// Future F says it was built from a temporary an affected compiler may
// destroy twice (point 2 above).
template <class F>
inline constexpr bool kBuiltFromTemporary = [] {
  if constexpr (coawait_internal::DeclaresBuiltFromTemporary<F>) {
    return static_cast<bool>(F::kBuiltFromTemporary);
  } else {
    return false;
  }
}();

// An rvalue of future F written in a co_await operand is unsafe on an
// affected compiler (points 1 and 2).
template <class F>
inline constexpr bool kUnsafeCoAwaitRvalue =
    kAggregateOwningTemporary<F> || kBuiltFromTemporary<F>;

// For factories taking a future argument `A&&` (A deduced): the argument may
// be a temporary of the dangerous kind.
template <class A>
inline constexpr bool kTemporaryFutureArgument =
    !std::is_lvalue_reference_v<A> &&
    kUnsafeCoAwaitRvalue<std::remove_cvref_t<A>>;

// For factories taking a callable `A&&` (A deduced): an rvalue class (a
// lambda or functor) that is not trivially destructible.
template <class A>
inline constexpr bool kTemporaryCallableArgument =
    !std::is_lvalue_reference_v<A> && std::is_class_v<std::remove_cvref_t<A>> &&
    !std::is_trivially_destructible_v<std::remove_cvref_t<A>>;

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_COAWAIT_OPERAND_H_
