#include "runtime/coro/task.h"

#include <cstdlib>
#include <new>

namespace magpie::coro_internal {
namespace {

// Symmetric transfers allowed in a row before one goes through the
// trampoline (rule 4). Where the compiler makes the transfer a tail call this
// costs one return to poll_root() per 64 transfers; where it does not, it
// bounds the stack to 64 nested resumes (a few KiB even under ASan).
constexpr std::uint32_t kMaxInlineTransfers = 64;

[[noreturn]] void contract_violation(const char* what) {
  assert(false && what);
  std::abort();  // NDEBUG: resuming a finished frame would be undefined.
}

}  // namespace

std::coroutine_handle<> ActivePoll::transfer_to(
    std::coroutine_handle<> target) noexcept {
  if (inline_transfers < kMaxInlineTransfers) {
    inline_transfers += 1;
    return target;  // Symmetric transfer.
  }
  // Unwind to poll_root()'s loop, which resumes `target` from a flat stack.
  next = target;
  return std::noop_coroutine();
}

RootPoll PromiseBase::poll_root(Context& cx) {
  assert(!link_.is_child() && "a Task polled after it was awaited");
  ChainRoot& root = link_;
  ActivePoll active;
  switch (root.state()) {
    case ChainRoot::State::kUnpolled:
      active.next = handle();
      break;
    case ChainRoot::State::kParked: {
      // Rule 3: the leaf is re-polled first, with this poll's Context, and
      // nothing is resumed until it is Ready.
      std::coroutine_handle<> waiter = root.repoll()(root.leaf(), cx, active.leaf_error);
      if (!waiter) return RootPoll::kPending;
      active.next = waiter;
      break;
    }
    case ChainRoot::State::kRunning:
      contract_violation("Task polled from inside its own poll");
    case ChainRoot::State::kDone:
      contract_violation("Task polled after it completed (DESIGN.md §1)");
  }

  active.cx = &cx;
  root.run(active);
  // The trampoline (rule 4). Coroutines never let an exception out of
  // resume(): unhandled_exception() stores it (rule 6). A leaf that answers
  // Pending parks the root (kParked), after which nothing transfers again.
  while (active.next) {
    std::coroutine_handle<> current = std::exchange(active.next, {});
    active.inline_transfers = 0;
    current.resume();
  }

  if (root.state() == ChainRoot::State::kParked) return RootPoll::kPending;
  assert(handle().done());
  root.finish();
  return RootPoll::kComplete;
}

std::coroutine_handle<> PromiseBase::await_child(PromiseBase& child) noexcept {
  assert(!child.link_.is_child() &&
         child.link_.state() == ChainRoot::State::kUnpolled &&
         "co_await on a Task that was already polled");
  ChainRoot& chain = root();
  child.link_.make_child(this, chain);
  set_awaited(&child);
  return chain.active().transfer_to(child.handle());
}

std::coroutine_handle<> PromiseBase::finish() noexcept {
  // The root returns to poll_root(), which sees no leaf and completes.
  PromiseBase* parent = this->parent();
  if (parent == nullptr) return std::noop_coroutine();
  return link_.chain_root()->active().transfer_to(parent->handle());
}

void PromiseBase::store_error(std::exception_ptr error) noexcept {
  assert(awaited_or_error_ == 0 && "a body threw while awaiting a child");
  auto* stored = new (std::nothrow) std::exception_ptr(std::move(error));
  awaited_or_error_ = reinterpret_cast<std::uintptr_t>(stored) | kErrorBit;
}

void PromiseBase::rethrow_error() {
  auto* stored =
      reinterpret_cast<std::exception_ptr*>(awaited_or_error_ & ~kErrorBit);
  if (stored == nullptr) throw std::bad_alloc();  // store_error() failed.
  std::rethrow_exception(*stored);
}

void PromiseBase::free_error() noexcept {
  delete reinterpret_cast<std::exception_ptr*>(awaited_or_error_ & ~kErrorBit);
  awaited_or_error_ = 0;
}

void PromiseBase::destroy_chain(PromiseBase& top) noexcept {
  PromiseBase* frame = &top;
  while (frame->awaited() != nullptr) frame = frame->awaited();
  // Rule 5: innermost first. Unlinking a frame from its parent before
  // destroying it keeps the parent's own destruction shallow.
  while (frame != &top) {
    PromiseBase* parent = frame->parent();
    parent->release_child();
    frame->handle().destroy();
    frame = parent;
  }
  top.handle().destroy();
}

}  // namespace magpie::coro_internal
