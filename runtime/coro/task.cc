#include "runtime/coro/task.h"

#include <cstdlib>
#include <new>

#include "runtime/alloc/recycling_allocator.h"

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

void* allocate_frame(std::size_t size) { return alloc::allocate(size); }

void free_frame(void* frame, std::size_t size) noexcept {
  alloc::deallocate(frame, size);
}

std::coroutine_handle<> ChainRoot::transfer_to(
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
  ChainRoot& root = own_root_;
  switch (root.state) {
    case ChainRoot::State::kUnpolled:
      root.next = self_;
      break;
    case ChainRoot::State::kParked: {
      // Rule 3: the leaf is re-polled first, with this poll's Context, and
      // nothing is resumed until it is Ready.
      std::coroutine_handle<> waiter = root.repoll(root.leaf, cx);
      if (!waiter) return RootPoll::kPending;
      root.leaf = nullptr;
      root.repoll = nullptr;
      root.next = waiter;
      break;
    }
    case ChainRoot::State::kRunning:
      contract_violation("Task polled from inside its own poll");
    case ChainRoot::State::kDone:
      contract_violation("Task polled after it completed (DESIGN.md §1)");
  }

  root.state = ChainRoot::State::kRunning;
  root.cx = &cx;
  // The trampoline (rule 4). Coroutines never let an exception out of
  // resume(): unhandled_exception() stores it (rule 6).
  while (root.next) {
    std::coroutine_handle<> current = std::exchange(root.next, {});
    root.inline_transfers = 0;
    current.resume();
  }
  root.cx = nullptr;

  if (root.leaf != nullptr) {
    root.state = ChainRoot::State::kParked;
    return RootPoll::kPending;
  }
  assert(self_.done());
  root.state = ChainRoot::State::kDone;
  return RootPoll::kComplete;
}

std::coroutine_handle<> PromiseBase::await_child(PromiseBase& child) noexcept {
  assert(child.own_root_.state == ChainRoot::State::kUnpolled &&
         "co_await on a Task that was already polled");
  child.parent_ = this;
  child.root_ = root_;
  awaited_ = &child;
  return root_->transfer_to(child.self_);
}

std::coroutine_handle<> PromiseBase::finish() noexcept {
  // The root returns to poll_root(), which sees no leaf and completes.
  if (parent_ == nullptr) return std::noop_coroutine();
  return root_->transfer_to(parent_->self_);
}

void PromiseBase::destroy_chain(PromiseBase& top) noexcept {
  PromiseBase* frame = &top;
  while (frame->awaited_ != nullptr) frame = frame->awaited_;
  // Rule 5: innermost first. Unlinking a frame from its parent before
  // destroying it keeps the parent's own destruction shallow.
  while (frame != &top) {
    PromiseBase* parent = frame->parent_;
    parent->awaited_ = nullptr;
    std::coroutine_handle<> doomed = frame->self_;
    doomed.destroy();
    frame = parent;
  }
  std::coroutine_handle<> doomed = top.self_;
  doomed.destroy();
}

}  // namespace magpie::coro_internal
