#include "runtime/join_set.h"

namespace magpie::join_set_internal {
namespace {

// The entry waker: data is an Arc<EntryNode>'s block (Arc::into_raw), so a
// wake can hand a counted reference to the ready list.
RawWaker EntryClone(const void* data);
void EntryWake(const void* data);
void EntryWakeByRef(const void* data);
void EntryDrop(const void* data);

constexpr RawWakerVTable kEntryVTable = {&EntryClone, &EntryWake,
                                         &EntryWakeByRef, &EntryDrop};

RawWaker EntryClone(const void* data) {
  Arc<EntryNode>::increment_raw(data);
  return RawWaker{data, &kEntryVTable};
}

void EntryWake(const void* data) { notify(Arc<EntryNode>::from_raw(data)); }

void EntryWakeByRef(const void* data) {
  Arc<EntryNode>::increment_raw(data);
  notify(Arc<EntryNode>::from_raw(data));
}

void EntryDrop(const void* data) {
  Arc<EntryNode> dropped = Arc<EntryNode>::from_raw(data);
}

}  // namespace

Waker entry_waker(const Arc<EntryNode>& node) {
  Arc<EntryNode> copy = node;
  return Waker::from_raw(RawWaker{std::move(copy).into_raw(), &kEntryVTable});
}

void notify(Arc<EntryNode> node) {
  // ORDERING: acq_rel, ready-list rule 1: the release half publishes the
  // task's completion to the set's clearing exchange.
  if (node->notified.exchange(true, std::memory_order_acq_rel)) return;
  ReadyList* list = node->list.get();
  bool was_empty;
  {
    core::MutexLock lock(&list->mu);
    if (list->closed) return;  // rule 2; `node` is dropped after the unlock
    was_empty = list->ready.empty();
    // A copy: our `node` keeps the node, and through it the list, alive
    // until we are done, even if the set pops it and goes away meanwhile.
    list->ready.push_back(node);
  }
  // Ready-list rule 3: only the push that made the list non-empty wakes.
  if (was_empty) list->consumer.wake();  // outside the lock (STYLE rule 8)
}

void ReadyList::take(std::deque<Arc<EntryNode>>* out) {
  core::MutexLock lock(&mu);
  if (out->empty()) {
    std::swap(*out, ready);
    return;
  }
  for (auto& node : ready) out->push_back(std::move(node));
  ready.clear();
}

void ReadyList::close(std::deque<Arc<EntryNode>>* out) {
  core::MutexLock lock(&mu);
  closed = true;
  std::swap(*out, ready);
}

}  // namespace magpie::join_set_internal
