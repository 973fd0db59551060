// magpie::Context — what a poll is given: the Waker of the task doing the
// polling.
//
// A Context lives on the poller's stack for the duration of one poll() call
// and borrows its Waker; a future that needs to be woken later clones it
// (`Waker w = cx.waker();`). Never keep a reference to the Context or its
// waker past the poll that received it: the next poll may come with a
// different waker, from a different task or thread (DESIGN.md §1).

#ifndef MAGPIE_RUNTIME_CORE_CONTEXT_H_
#define MAGPIE_RUNTIME_CORE_CONTEXT_H_

#include "runtime/core/waker.h"

namespace magpie {

class Context {
 public:
  explicit Context(const Waker& waker) noexcept : waker_(&waker) {}

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // The waker of this poll. Borrowed: clone it to keep it.
  const Waker& waker() const noexcept { return *waker_; }

 private:
  const Waker* waker_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_CONTEXT_H_
