#include "runtime/task/owned_tasks.h"

#include <cassert>

#include "runtime/task/raw_task.h"

namespace magpie::task {
namespace {

Trailer* trailer_of(Header* header) { return header->vtable->trailer(header); }

}  // namespace

OwnedTasks::~OwnedTasks() {
  core::MutexLock lock(&mu_);
  assert(head_ == nullptr && "OwnedTasks destroyed with live tasks");
}

bool OwnedTasks::bind(Header* header) {
  Trailer* trailer = trailer_of(header);
  core::MutexLock lock(&mu_);
  if (closed_) return false;
  trailer->owned_prev = nullptr;
  trailer->owned_next = head_;
  trailer->in_owned_list = true;
  if (head_ != nullptr) trailer_of(head_)->owned_prev = header;
  head_ = header;
  ++count_;
  return true;
}

bool OwnedTasks::remove(Header* header) {
  Trailer* trailer = trailer_of(header);
  core::MutexLock lock(&mu_);
  if (!trailer->in_owned_list) return false;
  if (trailer->owned_prev != nullptr) {
    trailer_of(trailer->owned_prev)->owned_next = trailer->owned_next;
  } else {
    head_ = trailer->owned_next;
  }
  if (trailer->owned_next != nullptr) {
    trailer_of(trailer->owned_next)->owned_prev = trailer->owned_prev;
  }
  trailer->owned_prev = trailer->owned_next = nullptr;
  trailer->in_owned_list = false;
  --count_;
  return true;
}

Header* OwnedTasks::pop_front() {
  core::MutexLock lock(&mu_);
  Header* header = head_;
  if (header == nullptr) return nullptr;
  Trailer* trailer = trailer_of(header);
  head_ = trailer->owned_next;
  if (head_ != nullptr) trailer_of(head_)->owned_prev = nullptr;
  trailer->owned_next = nullptr;
  trailer->in_owned_list = false;
  --count_;
  return header;
}

std::size_t OwnedTasks::close_and_shutdown_all() {
  {
    core::MutexLock lock(&mu_);
    closed_ = true;
  }
  std::size_t taken = 0;
  // One at a time, unlocked: dropping a future may complete or wake other
  // tasks, which call remove() on this list.
  while (Header* header = pop_front()) {
    shutdown(header);  // consumes the list's reference
    ++taken;
  }
  return taken;
}

bool OwnedTasks::is_closed() {
  core::MutexLock lock(&mu_);
  return closed_;
}

std::vector<TaskDump> OwnedTasks::dump() {
  std::vector<TaskDump> out;
  const std::uint32_t now_ms = core::coarse_now_ms();
  core::MutexLock lock(&mu_);
  out.reserve(count_);
  // Safe to read: every task on the list is kept alive by the list's
  // reference, and unlinking needs this lock.
  for (Header* h = head_; h != nullptr; h = trailer_of(h)->owned_next) {
    const Snapshot s = h->state.load();
    TaskDump d;
    d.id = h->id;
    d.running = s.is_running();
    d.notified = s.is_notified();
    d.complete = s.is_complete();
    d.cancelled = s.is_cancelled();
    d.join_interested = s.is_join_interested();
    d.join_waker = s.is_join_waker_set();
    d.references = s.ref_count();
    d.spawn_file = h->spawn_site.file;
    d.spawn_line = h->spawn_site.line;
    const Trailer* trailer = trailer_of(h);
    // The name is immutable once the task is on the list.
    if (trailer->name != nullptr) d.name = trailer->name.get();
    task::fill_poll_stats(trailer->stats, now_ms, d);
    out.push_back(d);
  }
  return out;
}

std::size_t OwnedTasks::size() {
  core::MutexLock lock(&mu_);
  return count_;
}

}  // namespace magpie::task
