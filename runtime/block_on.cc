#include "runtime/block_on.h"

#include <deque>
#include <stdexcept>
#include <string>

namespace magpie::block_on_internal {
namespace {

// Per thread: one parker per block_on nesting depth (a deque, so growing it
// never moves the ones in use), and how many are in use.
struct ThreadParkers {
  std::deque<Arc<park::Parker>> by_depth;
  std::size_t depth = 0;
};

thread_local ThreadParkers thread_parkers;

// Non-null inside a NoBlockOnScope: what kind of thread this is.
thread_local const char* no_block_on_thread = nullptr;

}  // namespace

void check_may_block(const char* what) {
  if (no_block_on_thread == nullptr) return;
  throw std::logic_error(std::string("magpie: ") + what + " called on " +
                         no_block_on_thread +
                         " thread (it would stall the tasks queued behind "
                         "it); await the future instead");
}

NoBlockOnScope::NoBlockOnScope(const char* thread_kind)
    : saved_(std::exchange(no_block_on_thread, thread_kind)) {}

NoBlockOnScope::~NoBlockOnScope() { no_block_on_thread = saved_; }

ParkerScope::ParkerScope() {
  ThreadParkers& parkers = thread_parkers;
  if (parkers.depth == parkers.by_depth.size()) {
    parkers.by_depth.push_back(make_arc<park::Parker>());
  }
  // A stale wake left by an earlier call at this depth costs one extra poll.
  parker_ = parkers.by_depth[parkers.depth];
  parkers.depth += 1;
}

ParkerScope::~ParkerScope() { thread_parkers.depth -= 1; }

}  // namespace magpie::block_on_internal
