// magpie::sync::internal::WaiterList / WakeList — the shared base of every
// primitive in runtime/sync: an intrusive FIFO of waiting futures, and the
// wakers collected under a lock to be woken after it is released.
//
// Why intrusive: the node lives inside the waiting future (Acquire,
// Notified, Recv, ...), so waiting allocates nothing, and a future that is
// dropped mid-wait unlinks itself in O(1). The idea is Tokio's
// (tokio/src/util/linked_list.rs, used by batch_semaphore.rs and notify.rs).
//
// Ownership and threads: the list does not own its nodes. Every list, and
// every field of every node while it may be linked, is guarded by the one
// core::Mutex of the primitive that owns the list (the primitive's fields
// say ABSL_GUARDED_BY; node fields cannot, so each node type says it in a
// comment). The future holding a node never moves after its first poll
// (Future rule 3), and unlinks its node in its destructor, under that mutex,
// before the node's memory goes.
//
// The rules (cited as "waiter rule N"):
//  1. A node is linked in at most one list; `linked` tells which side of
//     the protocol owns it: linked = the primitive may hand it something
//     (permits, a notification) and unlink it; unlinked = the future owns
//     the outcome and must act on it (take it, or pass it on when dropped).
//  2. Whoever unlinks a node to complete it moves the node's waker into a
//     WakeList, and wakes the list only after the mutex is released (STYLE
//     rule 8: a waker runs user code).
//  3. A Pending poll stores the waker of this poll in its node under the
//     mutex, and checks its condition under the same lock hold: register and
//     re-check are one critical section, so no wake can fall between them.

#ifndef MAGPIE_RUNTIME_SYNC_WAITER_LIST_H_
#define MAGPIE_RUNTIME_SYNC_WAITER_LIST_H_

#include <array>
#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

#include "runtime/core/waker.h"

namespace magpie::sync::internal {

// Embedded (as a base) in each waiter node.
struct WaiterLink {
  WaiterLink* prev = nullptr;
  WaiterLink* next = nullptr;
  bool linked = false;
};

// An intrusive doubly linked list of Node (which derives from WaiterLink).
template <class Node>
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;
  ~WaiterList() {
    assert(empty() && "a waiting future outlived its primitive");
  }

  bool empty() const noexcept { return head_ == nullptr; }
  Node* front() const noexcept { return static_cast<Node*>(head_); }
  Node* back() const noexcept { return static_cast<Node*>(tail_); }

  void push_back(Node* node) noexcept {
    WaiterLink* link = node;
    assert(!link->linked);
    link->prev = tail_;
    link->next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = link;
    } else {
      head_ = link;
    }
    tail_ = link;
    link->linked = true;
  }

  // Unlinks `node`, which must be linked in this list.
  void remove(Node* node) noexcept {
    WaiterLink* link = node;
    assert(link->linked);
    if (link->prev != nullptr) {
      link->prev->next = link->next;
    } else {
      head_ = link->next;
    }
    if (link->next != nullptr) {
      link->next->prev = link->prev;
    } else {
      tail_ = link->prev;
    }
    link->prev = link->next = nullptr;
    link->linked = false;
  }

  Node* pop_front() noexcept {
    Node* node = front();
    if (node != nullptr) remove(node);
    return node;
  }
  Node* pop_back() noexcept {
    Node* node = back();
    if (node != nullptr) remove(node);
    return node;
  }

 private:
  WaiterLink* head_ = nullptr;
  WaiterLink* tail_ = nullptr;
};

// Wakers collected under a lock (waiter rule 2). The first kInline need no
// allocation; more spill into a vector (only notify_waiters-style wake-alls
// get there). Wake them with wake_all() after unlocking; the destructor does
// it too, so declare a WakeList before the lock it outlives.
class WakeList {
 public:
  static constexpr std::size_t kInline = 16;

  WakeList() = default;
  WakeList(const WakeList&) = delete;
  WakeList& operator=(const WakeList&) = delete;
  ~WakeList() { wake_all(); }

  void push(Waker waker) {
    if (waker.is_empty()) return;
    if (count_ < kInline) {
      inline_[count_++] = std::move(waker);
    } else {
      spill_.push_back(std::move(waker));
    }
  }

  // Call without holding the primitive's lock.
  void wake_all() {
    for (std::size_t i = 0; i < count_; ++i) std::move(inline_[i]).wake();
    count_ = 0;
    for (Waker& waker : spill_) std::move(waker).wake();
    spill_.clear();
  }

 private:
  std::array<Waker, kInline> inline_;
  std::size_t count_ = 0;
  std::vector<Waker> spill_;
};

}  // namespace magpie::sync::internal

#endif  // MAGPIE_RUNTIME_SYNC_WAITER_LIST_H_
