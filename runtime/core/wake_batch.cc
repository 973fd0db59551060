#include "runtime/core/wake_batch.h"

#include <utility>
#include <vector>

namespace magpie::core {
namespace {

struct Group {
  void* owner = nullptr;
  WakeBatch::FlushFn flush = nullptr;
  std::vector<void*> items;
};

// Per thread; the vectors keep their capacity across turns, so a steady
// reactor loop does not allocate per turn.
struct BatchState {
  int depth = 0;
  bool flushing = false;
  std::size_t used = 0;  // groups_[0, used) hold items of this batch
  std::vector<Group> groups;
};

thread_local BatchState batch_state;

void flush_all(BatchState& state) {
  state.flushing = true;
  for (std::size_t i = 0; i < state.used; ++i) {
    Group& group = state.groups[i];
    if (!group.items.empty()) {
      group.flush(group.owner, group.items.data(), group.items.size());
      group.items.clear();
    }
  }
  state.used = 0;
  state.flushing = false;
}

}  // namespace

bool WakeBatch::append(void* owner, FlushFn flush, void* item) {
  BatchState& state = batch_state;
  if (state.depth == 0 || state.flushing) return false;
  for (std::size_t i = 0; i < state.used; ++i) {
    Group& group = state.groups[i];
    if (group.owner == owner && group.flush == flush) {
      group.items.push_back(item);
      return true;
    }
  }
  if (state.used == state.groups.size()) state.groups.emplace_back();
  Group& group = state.groups[state.used++];
  group.owner = owner;
  group.flush = flush;
  group.items.push_back(item);
  return true;
}

bool WakeBatch::is_open() {
  return batch_state.depth > 0 && !batch_state.flushing;
}

WakeBatchScope::WakeBatchScope() { ++batch_state.depth; }

WakeBatchScope::~WakeBatchScope() {
  BatchState& state = batch_state;
  // A scope opened by a flush (user code) leaves the flush to the outer one.
  if (--state.depth == 0 && !state.flushing) flush_all(state);
}

}  // namespace magpie::core
