// magpie::Task<T> — the C++20 coroutine type: async code written with
// co_await, packaged as a magpie::Future.
//
//   magpie::Task<std::size_t> total(Source& src) {
//     std::size_t n = 0;
//     while (auto chunk = co_await src.next()) n += chunk->size();  // a Future
//     co_return n;
//   }
//   magpie::Task<void> report(Source& src) {
//     std::size_t n = co_await total(src);                           // a Task
//     ...
//   }
//   magpie::block_on(report(src));                                   // polled
//
// What it is for: a Task is a Future (`using Output = T;`,
// `Poll<T> poll(Context&)`) whose body is a coroutine. Inside the body,
// `co_await` takes any magpie::Future (it evaluates to the future's output)
// and any other Task. It is lazy like a Rust future: nothing runs until the
// first poll.
//
// Ownership: a Task owns its coroutine frame, and through it every frame the
// body is suspended in (the chain below). Tasks are move-only; destroying a
// Task destroys its frame whatever its state. `co_await task` consumes the
// Task: it is empty afterwards, and the awaiting frame owns the child frame
// until the child finishes. Coroutine parameters are copied into the frame,
// but references stay references: take parameters by value unless the
// referent outlives the Task.
//
// Threads: one poller at a time (the Future contract, future.h rule 4). The
// Task may move to another thread between polls (a work-stealing scheduler
// does exactly that); the body then continues on the new thread. The
// Context and Waker of each poll are used only during that poll.
//
// Memory ordering: no atomics here. Whoever hands a Task from one thread to
// another (a run queue, block_on's parker) provides the happens-before edge
// between one poll and the next.
//
// The rules (cited below as "rule N"):
//  1. Lazy: the body starts at the first poll. A Task is still free to move
//     until then; after that the frame stays put (the Task handle may move,
//     the frame never does).
//  2. The chain: the Task being polled (the root) and the Tasks it awaits,
//     transitively, form a chain that shares one ChainRoot, stored in the
//     root's promise. Exactly one coroutine of the chain runs at a time, and
//     only inside the root's poll(). Every promise of the chain reaches that
//     ChainRoot through its link_ (its own, or its root's). What only a running chain needs (the
//     Context, the trampoline's next coroutine, the transfer count) lives in
//     an ActivePoll on poll_root()'s stack, which the ChainRoot points at
//     while it runs: a frame pays 16 bytes for the chain state it carries
//     in case it becomes a root, not 40.
//  3. Fresh context: a leaf future (a non-Task Future awaited somewhere in the
//     chain) is only ever polled during a root poll, with that poll's
//     Context. When it answers Pending the whole chain suspends back to the
//     poller; the next root poll re-polls that leaf first, directly (not by
//     walking the chain), with the new Context, and resumes the coroutine
//     waiting on it only when the leaf is Ready. So the waker the leaf holds
//     is always the most recent poll's (DESIGN.md §1).
//  4. Flat stack: control passes from a coroutine to the Task it awaits, and
//     back when that Task finishes, by symmetric transfer. Compilers do not
//     always make that a tail call (GCC's sanitizer builds, -O0), so after
//     kMaxInlineTransfers transfers in a row the transfer goes through the
//     root poll's trampoline loop instead: the native stack stays bounded
//     whatever the nesting depth.
//  5. Innermost first: destroying a Task suspended in a chain destroys the
//     frames from the innermost up, like stack unwinding (an inner frame may
//     refer to its caller's locals), in a loop, never recursively.
//  6. Exceptions: an exception leaving a body is stored in its promise and
//     rethrown from the awaiting `co_await`; from the root it is rethrown by
//     poll(), so block_on(task) rethrows it to its caller. An exception from
//     a leaf's poll is rethrown from the `co_await` on that leaf.
//  7. A completed Task is never polled again (future.h rule 2): it asserts in
//     debug builds and aborts otherwise.
//  8. Operand lifetime: the leaf is polled in place, an lvalue where it
//     lives, a temporary where the compiler keeps it (until the end of the
//     full expression, across suspension). g++ < 13 destroys a temporary of
//     aggregate or closure type in a co_await full-expression twice, having
//     bit-copied it into the frame without a constructor. Moving the operand
//     into the awaiter does not help (measured: the copy the compiler made
//     still owns what the original owned), so on such a compiler an rvalue
//     operand that may be such a temporary is refused at compile time
//     (runtime/core/coawait_operand.h); tools/coawait_lint.py finds the
//     nested forms no type reveals. The user-facing rule is in
//     docs/model.md, "Coroutine rules".
//
// The root's state machine (ChainRoot::State), states x events:
//
//   state     | poll(cx)                         | leaf answers   | body finishes   | destroy
//             |                                  | Pending        | (value/throw)   |
//   ----------+----------------------------------+----------------+-----------------+-----------------
//   kUnpolled | -> kRunning, start the body      | -              | -               | free
//   kRunning  | never (one poller)               | -> kParked,    | -> kDone, poll  | never
//             |                                  | poll returns   | returns Ready   |
//             |                                  | Pending        | or rethrows     |
//   kParked   | re-poll the leaf with cx:        | -              | -               | free the chain,
//             | Pending: stay, return Pending;   |                |                 | innermost first
//             | Ready: -> kRunning, resume its   |                |                 |
//             | waiter                           |                |                 |
//   kDone     | contract violation (rule 7)      | -              | -               | free
//
// Cooperative budget (runtime/core/coop.h): runtime leaf futures take one
// unit of a per-poll budget and answer Pending (waking themselves) when it is
// spent. A Task needs nothing more than treating that Pending like any
// other: the chain suspends and is polled again. Every leaf poll a Task makes
// goes through LeafAwaiter::poll_leaf(); a Task-level charge, if one is ever
// wanted, belongs there.
//
// Frame allocation: every frame is allocated by coro_internal::allocate_frame
// and freed by coro_internal::free_frame, which use the per-thread
// recycling allocator (runtime/alloc, DESIGN.md §2), inline: a frame that
// its thread's front cache can serve costs no call. Frames are aligned to
// __STDCPP_DEFAULT_NEW_ALIGNMENT__.

#ifndef MAGPIE_RUNTIME_CORO_TASK_H_
#define MAGPIE_RUNTIME_CORO_TASK_H_

#include <cassert>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/alloc/recycling_allocator.h"
#include "runtime/core/coawait_operand.h"
#include "runtime/core/context.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"
#include "runtime/core/poll_stats.h"

namespace magpie {

template <class T = void>
class Task;

namespace coro_internal {

// Frame memory; see "Frame allocation" above.
inline void* allocate_frame(std::size_t size) { return alloc::allocate(size); }
inline void free_frame(void* frame, std::size_t size) noexcept {
  alloc::deallocate(frame, size);
}

// Rule 8: whether `co_await` refuses an rvalue operand of type F on this
// compiler (runtime/core/coawait_operand.h).
template <class F>
inline constexpr bool kRefusedAsCoAwaitRvalue =
    core::kCoAwaitTemporaryDestroyedTwice && core::kUnsafeCoAwaitRvalue<F>;

template <class T>
inline constexpr bool kIsTask = false;
template <class U>
inline constexpr bool kIsTask<Task<U>> = true;

// What `co_await x` accepts besides a Task: any Future (a leaf, rule 3).
template <class F>
concept LeafFuture =
    Future<std::remove_cvref_t<F>> && !kIsTask<std::remove_cvref_t<F>>;
template <class A>
concept NotAFuture = !Future<std::remove_cvref_t<A>>;

// Re-polls a parked leaf awaiter with the current Context. Returns the
// coroutine waiting on it once the leaf is Ready (the awaiter keeps the
// output) or threw (into `error`, which the awaiter's await_resume rethrows
// as that coroutine resumes, in the same poll), an empty handle while it is
// Pending.
using RepollFn = std::coroutine_handle<> (*)(void* leaf, Context& cx,
                                             std::exception_ptr& error) noexcept;

// What a running chain needs for one root poll (rule 2): on poll_root()'s
// stack, reached through the root's ChainRoot while it is kRunning.
struct ActivePoll {
  // Passes control to `target` (rule 4): as a symmetric transfer, or, after
  // kMaxInlineTransfers in a row, through the trampoline in poll_root().
  std::coroutine_handle<> transfer_to(std::coroutine_handle<> target) noexcept;

  Context* cx = nullptr;               // This poll's Context.
  std::coroutine_handle<> next;        // The trampoline's next coroutine.
  std::uint32_t inline_transfers = 0;  // Since the trampoline last resumed.
  // What a re-polled leaf threw (RepollFn), until its awaiter rethrows it:
  // kept here rather than in every awaiter of every frame.
  std::exception_ptr leaf_error;
};

// The state a chain shares (rule 2), and a promise's place in its chain.
// Every promise has one (link_), in one of two roles, 16 bytes either way:
//
//   role  | word_ (bits 3-63 | bit 2 | bits 0-1)        | second word
//   ------+-------------------------------------------+------------------
//   root  | ActivePoll* / leaf awaiter* | 0 | State    | RepollFn (kParked)
//   child | the parent PromiseBase*     | 1 | 0        | the root's ChainRoot*
//
// A Task starts as a root (kUnpolled): it is one while it is polled
// directly, and becomes a child, for good, when a co_await links it under
// another frame (await_child, before it ever ran). Only a root's state
// machine is used; a child's chain state is its root's. The pointers are
// all 8-aligned, so the low three bits are free. (One link instead of a
// root pointer, a parent pointer and an own ChainRoot: 16 bytes per frame.)
class ChainRoot {
 public:
  enum class State : std::uintptr_t {
    kUnpolled = 0,
    kRunning = 1,
    kParked = 2,
    kDone = 3
  };

  State state() const noexcept { return static_cast<State>(word_ & kStateMask); }
  bool is_child() const noexcept { return (word_ & kChildBit) != 0; }
  // Precondition (both): is_child().
  void* parent() const noexcept {
    assert(is_child());
    return reinterpret_cast<void*>(word_ & ~kLowBits);
  }
  ChainRoot* chain_root() const noexcept {
    assert(is_child());
    return second_.root;
  }
  // This link's chain state: its own (a root) or its root's (a child).
  ChainRoot& resolve() noexcept { return is_child() ? *second_.root : *this; }
  // Links this (unpolled root) under `parent` in `root`'s chain, for good.
  void make_child(void* parent, ChainRoot& root) noexcept {
    assert(!is_child() && state() == State::kUnpolled);
    const auto bits = reinterpret_cast<std::uintptr_t>(parent);
    assert((bits & kLowBits) == 0);
    word_ = bits | kChildBit;
    second_.root = &root;
  }
  // Precondition: kRunning.
  ActivePoll& active() const noexcept {
    assert(state() == State::kRunning);
    return *reinterpret_cast<ActivePoll*>(word_ & ~kLowBits);
  }
  // Precondition: kParked.
  void* leaf() const noexcept {
    assert(state() == State::kParked);
    return reinterpret_cast<void*>(word_ & ~kLowBits);
  }
  RepollFn repoll() const noexcept { return second_.repoll; }

  void run(ActivePoll& active) noexcept { set(&active, State::kRunning); }
  void finish() noexcept { set(nullptr, State::kDone); }
  // Records the leaf awaiter the chain suspends on (rule 3). The running
  // chain stops here: nothing reads active() again in this poll.
  void park(void* awaiter, RepollFn fn) noexcept {
    set(awaiter, State::kParked);
    second_.repoll = fn;
  }

 private:
  static constexpr std::uintptr_t kStateMask = 3;
  static constexpr std::uintptr_t kChildBit = 4;
  static constexpr std::uintptr_t kLowBits = 7;
  // A root's transition (never a child's: its state is its root's).
  void set(void* pointer, State state) noexcept {
    const auto bits = reinterpret_cast<std::uintptr_t>(pointer);
    assert(!is_child() && (bits & kLowBits) == 0);
    word_ = bits | static_cast<std::uintptr_t>(state);
  }

  std::uintptr_t word_ = 0;  // A root, kUnpolled, no pointer.
  union {
    RepollFn repoll = nullptr;  // A root: the parked leaf's (kParked).
    ChainRoot* root;            // A child: its chain's root.
  } second_;
};
static_assert(sizeof(ChainRoot) == 16);

// What poll_root() tells Task::poll() to answer.
enum class RootPoll {
  kPending,   // Parked on a leaf that holds this poll's waker.
  kComplete,  // Finished: take the output (or rethrow) from the promise.
};

template <class F>
class LeafAwaiter;
template <class U>
class TaskAwaiter;

// The untyped half of every Task's promise: chain links, the stored
// exception, the chain state (used when this promise is the root), and
// the await_transform that decides what `co_await x` means. Every frame
// carries a ChainRoot because any Task may end up a root; as a child it
// holds the parent and root pointers instead (ChainRoot's roles). 24 bytes
// in all (was 48 with separate root and parent pointers and exception).
//
// The frame's own handle is not stored: handle() recomputes it from the
// promise's address. That needs the promise at the same offset in the frame
// as a PromiseBase would be, which GCC and Clang guarantee for every
// promise no more aligned than std::max_align_t (the frame starts with the
// resume and destroy pointers, then the promise, aligned); Promise<T>
// static_asserts that, and get_return_object() checks it in debug builds.
// (Frames are only aligned to __STDCPP_DEFAULT_NEW_ALIGNMENT__ anyway: see
// "Frame allocation".)
class PromiseBase {
 public:
  PromiseBase() noexcept = default;
  ~PromiseBase() {
    if (has_error()) free_error();
  }

  // This promise's frame (see above).
  std::coroutine_handle<> handle() noexcept {
    return std::coroutine_handle<PromiseBase>::from_promise(*this);
  }
  // The chain's shared state (rule 2): this frame's own while it is a root,
  // its root's once it is a child.
  ChainRoot& root() noexcept { return link_.resolve(); }
  PromiseBase(const PromiseBase&) = delete;
  PromiseBase& operator=(const PromiseBase&) = delete;

  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    free_frame(frame, size);
  }

  // Lazy (rule 1).
  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<P> self) const noexcept {
      return self.promise().finish();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { store_error(std::current_exception()); }

  // `co_await task`: runs the Task as part of this chain (rules 2, 4).
  template <class U>
  TaskAwaiter<U> await_transform(Task<U>&& task) noexcept {
    return TaskAwaiter<U>(*this, task.release());
  }
  template <class U>
  TaskAwaiter<U> await_transform(Task<U>& task) noexcept {
    return TaskAwaiter<U>(*this, task.release());
  }

  // `co_await future`: polls the leaf with this root poll's Context (rule 3),
  // in place (rule 8): an lvalue must outlive the co_await; a temporary
  // lives until the end of the full expression, across suspension.
  template <LeafFuture F>
  LeafAwaiter<std::remove_reference_t<F>> await_transform(
      F&& future) noexcept {
    if constexpr (!std::is_lvalue_reference_v<F>) {
      static_assert(!kRefusedAsCoAwaitRvalue<std::remove_cvref_t<F>>,
                    "magpie: g++ < 13 destroys this co_await operand's "
                    "temporary twice (a braced aggregate, or a lambda "
                    "capturing by value, built inside the co_await). Bind "
                    "the future to a named local and await that: `auto f = "
                    "...; co_await f;`. See docs/model.md, \"Coroutine "
                    "rules\".");
    }
    return LeafAwaiter<std::remove_reference_t<F>>(future, *this);
  }

  template <NotAFuture A>
  void await_transform(A&&) {
    static_assert(Future<std::remove_cvref_t<A>>,
                  "a Task can co_await only magpie::Futures and Tasks: any "
                  "other awaitable would resume the coroutine outside poll()");
  }

  // Polls the chain rooted here (this promise's frame is the root).
  [[nodiscard]] RootPoll poll_root(Context& cx);

  // Destroys `top`'s frame and every frame suspended below it, innermost
  // first, without recursion (rule 5).
  static void destroy_chain(PromiseBase& top) noexcept;

 protected:
  // Debug check of handle()'s assumption, from the typed promise.
  void check_handle(std::coroutine_handle<> typed) noexcept {
    assert(typed.address() == handle().address() &&
           "magpie: the promise is not where handle() expects it");
    static_cast<void>(typed);
  }
  void rethrow_if_failed() {
    if (has_error()) rethrow_error();
  }

 private:
  template <class U>
  friend class TaskAwaiter;

  // Final suspension: hand control back to the awaiting coroutine, or (the
  // root) back to poll_root().
  std::coroutine_handle<> finish() noexcept;
  // Links `child` below this frame in the chain and transfers to it.
  std::coroutine_handle<> await_child(PromiseBase& child) noexcept;
  // Gives up ownership of the finished child; its awaiter frees it.
  void release_child() noexcept { awaited_or_error_ = 0; }
  // The child frame this one awaits, or null (none, or the body threw).
  PromiseBase* awaited() const noexcept {
    return (awaited_or_error_ & kErrorBit) != 0
               ? nullptr
               : reinterpret_cast<PromiseBase*>(awaited_or_error_);
  }
  void set_awaited(PromiseBase* child) noexcept {
    assert(awaited_or_error_ == 0);
    awaited_or_error_ = reinterpret_cast<std::uintptr_t>(child);
  }
  bool has_error() const noexcept {
    return (awaited_or_error_ & kErrorBit) != 0;
  }
  // Rule 6, out of line (task.cc): the slow path of a body that threw.
  void store_error(std::exception_ptr error) noexcept;
  [[noreturn]] void rethrow_error();
  void free_error() noexcept;
  // The awaiting frame; null for a root.
  PromiseBase* parent() const noexcept {
    return link_.is_child() ? static_cast<PromiseBase*>(link_.parent())
                            : nullptr;
  }

  // The chain's state or the way to it (rule 2; ChainRoot's roles).
  ChainRoot link_;
  // One word, by kErrorBit: while the body runs, the child frame this one
  // owns and awaits (or 0); once the body threw (rule 6), what it threw, as
  // a heap-allocated std::exception_ptr tagged with kErrorBit (the body
  // awaits nothing then: unhandled_exception() runs only after every
  // awaiter let go of its child). The allocation is on the exception path
  // only; it saves 8 bytes in every frame. kErrorBit alone (no pointer):
  // that allocation failed, and std::bad_alloc is rethrown instead.
  static constexpr std::uintptr_t kErrorBit = 1;
  std::uintptr_t awaited_or_error_ = 0;
};
static_assert(sizeof(PromiseBase) == 24, "link 16, awaited or error 8");

template <class T>
class Promise final : public PromiseBase {
  static_assert(!std::is_reference_v<T>, "Task<T&> is not supported");
  static_assert(alignof(T) <= alignof(std::max_align_t),
                "Task<T> of an over-aligned T is not supported (frames are "
                "aligned to the default new alignment; see PromiseBase)");

 public:
  Task<T> get_return_object() noexcept;

  template <class U = T>
  requires std::convertible_to<U&&, T>
  void return_value(U&& value) { value_.emplace(std::forward<U>(value)); }

  // The output, or rethrows what the body threw. Once, after completion.
  T take_output() {
    rethrow_if_failed();
    assert(value_.has_value());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class Promise<void> final : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_output() { rethrow_if_failed(); }
};

// The awaiter of `co_await future` for a leaf Future F (rule 3).
template <class F>
class LeafAwaiter {
 public:
  using Output = FutureOutput<F>;

  // `waiter` is the promise of the coroutine that awaits: its frame is the
  // one to resume, its link the way to the chain's state. (Two pointers,
  // not a root pointer and a handle besides: 16 bytes in every frame that
  // awaits a leaf.)
  LeafAwaiter(F& future, PromiseBase& waiter) noexcept
      : future_(&future), waiter_(&waiter) {}

  // The first poll happens here: a Ready leaf does not suspend at all.
  // Always inlined into the awaiting body, as it was before the chain
  // lookup (ChainRoot::resolve) made g++ stop inlining it: the call cost
  // ~40 instructions per co_await (spawn_many, measured with callgrind).
  [[gnu::always_inline]] bool await_ready() {
    return poll_leaf(*waiter_->root().active().cx);
  }

  void await_suspend(std::coroutine_handle<> waiter) noexcept {
    assert(waiter.address() == waiter_->handle().address());
    static_cast<void>(waiter);
    waiter_->root().park(this, &LeafAwaiter::repoll);
  }

  Output await_resume() {
    // Set by repoll() just before this coroutine was resumed (rule 6).
    std::exception_ptr& error = waiter_->root().active().leaf_error;
    if (error != nullptr) [[unlikely]] {
      std::rethrow_exception(std::exchange(error, nullptr));
    }
    if constexpr (!std::is_void_v<Output>) return std::move(*output_);
  }

 private:
  using Slot = std::conditional_t<std::is_void_v<Output>, std::monostate,
                                  std::optional<Output>>;

  // The one place a Task polls a leaf (the cooperative-budget hook). On
  // Pending it names F as the leaf the task is parked on, for the task
  // dump (core/poll_stats.h: a thread-local load and a store); a Task is
  // never a leaf, so nested awaits keep the innermost future's type.
  bool poll_leaf(Context& cx) {
    Poll<Output> poll = future_->poll(cx);
    if (poll.is_pending()) {
      core::record_leaf<F>();
      return false;
    }
    if constexpr (!std::is_void_v<Output>) {
      output_.emplace(std::move(poll).value());
    }
    return true;
  }

  static std::coroutine_handle<> repoll(void* self, Context& cx,
                                        std::exception_ptr& error) noexcept {
    auto& awaiter = *static_cast<LeafAwaiter*>(self);
    try {
      if (!awaiter.poll_leaf(cx)) return {};
    } catch (...) {
      error = std::current_exception();  // Rethrown in await_resume.
    }
    return awaiter.waiter_->handle();
  }

  F* future_;
  PromiseBase* waiter_;
  [[no_unique_address]] Slot output_;
};

// The awaiter of `co_await task` (rules 2, 4): owns the child frame from
// await_transform until it is linked into the chain, and frees it once it
// has taken the output.
template <class U>
class TaskAwaiter {
 public:
  TaskAwaiter(PromiseBase& parent,
              std::coroutine_handle<Promise<U>> child) noexcept
      : parent_(&parent), child_(child) {
    assert(child_ && "co_await on an empty (moved-from or awaited) Task");
  }

  bool await_ready() const noexcept { return false; }  // Lazy: rule 1.

  std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
    return parent_->await_child(child_.promise());
  }

  U await_resume() {
    parent_->release_child();
    struct FreeChild {
      std::coroutine_handle<> frame;
      ~FreeChild() { frame.destroy(); }
    } free_child{child_};
    return child_.promise().take_output();
  }

 private:
  PromiseBase* parent_;
  std::coroutine_handle<Promise<U>> child_;
};

}  // namespace coro_internal

template <class T>
class [[nodiscard]] Task {
 public:
  using Output = T;
  using promise_type = coro_internal::Promise<T>;

  // An empty Task; polling or awaiting it is a contract violation.
  Task() noexcept = default;
  Task(Task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      frame_ = std::exchange(other.frame_, {});
    }
    return *this;
  }
  ~Task() { reset(); }

  // Runs the body until it finishes (Ready, or rethrows what it threw) or a
  // leaf answers Pending (Pending; the leaf holds cx's waker).
  Poll<T> poll(Context& cx) {
    assert(frame_ && "poll on an empty (moved-from or awaited) Task");
    if (frame_.promise().poll_root(cx) == coro_internal::RootPoll::kPending) {
      return Pending;
    }
    if constexpr (std::is_void_v<T>) {
      frame_.promise().take_output();
      return ready();
    } else {
      return Poll<T>(frame_.promise().take_output());
    }
  }

  // False for a default-constructed, moved-from or awaited Task.
  explicit operator bool() const noexcept { return bool(frame_); }

 private:
  friend promise_type;
  friend class coro_internal::PromiseBase;

  explicit Task(std::coroutine_handle<promise_type> frame) noexcept
      : frame_(frame) {}

  std::coroutine_handle<promise_type> release() noexcept {
    return std::exchange(frame_, {});
  }

  void reset() noexcept {
    if (frame_) {
      coro_internal::PromiseBase::destroy_chain(
          std::exchange(frame_, {}).promise());
    }
  }

  std::coroutine_handle<promise_type> frame_;
};

namespace coro_internal {

template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  auto frame = std::coroutine_handle<Promise<T>>::from_promise(*this);
  check_handle(frame);
  return Task<T>(frame);
}

inline Task<void> Promise<void>::get_return_object() noexcept {
  auto frame = std::coroutine_handle<Promise<void>>::from_promise(*this);
  check_handle(frame);
  return Task<void>(frame);
}

}  // namespace coro_internal
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORO_TASK_H_
