#include "runtime/block_on.h"

#include <deque>
#include <mutex>
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

// The process-wide list of active block_on calls (RootRegistration). A
// std::mutex (not absl): TSan must see it. Never destroyed, so a block_on
// on a thread that outlives static destruction still finds it.
struct Roots {
  std::mutex mu;
  RootRegistration* head = nullptr;  // guarded by mu
};
Roots& roots() {
  static Roots* const list = new Roots;
  return *list;
}

std::uint64_t next_root_id() {
  static core::Atomic<std::uint64_t> next{1};
  // ORDERING: relaxed; ids only need to be unique.
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

RootRegistration::RootRegistration(task::SpawnSite where, const void* owner)
    : id_(next_root_id()), where_(where), owner_(owner) {
  Roots& list = roots();
  std::lock_guard<std::mutex> lock(list.mu);
  next_ = list.head;
  if (next_ != nullptr) next_->prev_ = this;
  list.head = this;
}

RootRegistration::~RootRegistration() {
  Roots& list = roots();
  std::lock_guard<std::mutex> lock(list.mu);
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    list.head = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
}

std::vector<TaskDump> RootRegistration::dump(const void* owner,
                                             bool any_owner) {
  std::vector<TaskDump> out;
  const std::uint32_t now_ms = core::coarse_now_ms();
  Roots& list = roots();
  std::lock_guard<std::mutex> lock(list.mu);
  // Each registration outlives its place on the list (it unlinks itself
  // under this mutex before it goes).
  for (RootRegistration* r = list.head; r != nullptr; r = r->next_) {
    if (!any_owner && r->owner_ != owner) continue;
    TaskDump d;
    d.id = r->id_;
    d.block_on_root = true;
    // ORDERING: relaxed; diagnostics only.
    d.running = r->polling_.load(std::memory_order_relaxed);
    d.spawn_file = r->where_.file;
    d.spawn_line = r->where_.line;
    task::fill_poll_stats(r->stats_, r->leaf_, now_ms, d);
    out.push_back(std::move(d));
  }
  return out;
}

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
