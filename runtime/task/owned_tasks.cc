#include "runtime/task/owned_tasks.h"

#include <bit>
#include <cassert>

#include "runtime/task/raw_task.h"

namespace magpie::task {
namespace {

Trailer* trailer_of(Header* header) {
  return header->vtable()->trailer(header);
}

// owned_prev of a shard's first task: not null, so that a null owned_prev
// alone says "on no list" (no separate flag). Never dereferenced.
Header* const kOwnedListHead = reinterpret_cast<Header*>(alignof(Header));

}  // namespace

OwnedTasks::OwnedTasks(std::size_t min_shards)
    : num_shards_(std::bit_ceil(min_shards == 0 ? std::size_t{1} : min_shards)),
      shards_(new Shard[num_shards_]) {}

OwnedTasks::~OwnedTasks() {
  for (std::size_t i = 0; i < num_shards_; ++i) {
    core::WordMutexLock lock(&shards_[i].mu);
    assert(shards_[i].head == nullptr &&
           "OwnedTasks destroyed with live tasks");
  }
}

bool OwnedTasks::bind(Header* header) {
  Trailer* trailer = trailer_of(header);
  Shard& shard = shard_of(header);
  core::WordMutexLock lock(&shard.mu);
  if (shard.closed) return false;  // owned rule 1
  trailer->owned_prev = kOwnedListHead;
  trailer->owned_next = shard.head;
  if (shard.head != nullptr) trailer_of(shard.head)->owned_prev = header;
  shard.head = header;
  ++shard.count;
  return true;
}

bool OwnedTasks::remove(Header* header) {
  Trailer* trailer = trailer_of(header);
  Shard& shard = shard_of(header);
  core::WordMutexLock lock(&shard.mu);
  if (trailer->owned_prev == nullptr) return false;  // on no list
  if (trailer->owned_prev != kOwnedListHead) {
    trailer_of(trailer->owned_prev)->owned_next = trailer->owned_next;
  } else {
    shard.head = trailer->owned_next;
  }
  if (trailer->owned_next != nullptr) {
    trailer_of(trailer->owned_next)->owned_prev = trailer->owned_prev;
  }
  trailer->owned_prev = trailer->owned_next = nullptr;
  --shard.count;
  return true;
}

Header* OwnedTasks::pop_front(Shard& shard) {
  core::WordMutexLock lock(&shard.mu);
  Header* header = shard.head;
  if (header == nullptr) return nullptr;
  Trailer* trailer = trailer_of(header);
  shard.head = trailer->owned_next;
  if (shard.head != nullptr) {
    trailer_of(shard.head)->owned_prev = kOwnedListHead;
  }
  trailer->owned_prev = trailer->owned_next = nullptr;
  --shard.count;
  return header;
}

std::size_t OwnedTasks::close_and_shutdown_all() {
  // Owned rule 2: close every shard before emptying any.
  for (std::size_t i = 0; i < num_shards_; ++i) {
    core::WordMutexLock lock(&shards_[i].mu);
    shards_[i].closed = true;
  }
  std::size_t taken = 0;
  // One at a time, unlocked: dropping a future may complete or wake other
  // tasks, which call remove() on this list.
  for (std::size_t i = 0; i < num_shards_; ++i) {
    while (Header* header = pop_front(shards_[i])) {
      shutdown(header);  // consumes the list's reference
      ++taken;
    }
  }
  return taken;
}

bool OwnedTasks::is_closed() {
  // Owned rule 3: the last shard closes last.
  Shard& last = shards_[num_shards_ - 1];
  core::WordMutexLock lock(&last.mu);
  return last.closed;
}

std::vector<TaskDump> OwnedTasks::dump() {
  std::vector<TaskDump> out;
  const std::uint32_t now_ms = core::coarse_now_ms();
  for (std::size_t i = 0; i < num_shards_; ++i) {
    Shard& shard = shards_[i];
    core::WordMutexLock lock(&shard.mu);
    out.reserve(out.size() + shard.count);
    // Safe to read: every task on the list is kept alive by the list's
    // reference, and unlinking needs this shard's lock.
    for (Header* h = shard.head; h != nullptr; h = trailer_of(h)->owned_next) {
      const Snapshot s = h->state.load();
      TaskDump d;
      d.id = h->id.value();
      d.running = s.is_running();
      d.notified = s.is_notified();
      d.complete = s.is_complete();
      d.cancelled = s.is_cancelled();
      d.join_interested = s.is_join_interested();
      d.join_waker = s.is_join_waker_set();
      d.references = s.ref_count();
      d.wakers = s.waker_count();
      d.lost = s.is_lost();
      const SpawnSite site = h->spawn_site;
      d.spawn_file = site.file;
      d.spawn_line = site.line;
      const Trailer* trailer = trailer_of(h);
      // The name is immutable once the task is on the list.
      if (const char* name = h->spawn_site.name()) d.name = name;
      task::fill_poll_stats(trailer->stats, h->leaf, now_ms, d);
      out.push_back(d);
    }
  }
  return out;
}

std::size_t OwnedTasks::size() {
  std::size_t total = 0;
  for (std::size_t i = 0; i < num_shards_; ++i) {
    core::WordMutexLock lock(&shards_[i].mu);
    total += shards_[i].count;
  }
  return total;
}

}  // namespace magpie::task
