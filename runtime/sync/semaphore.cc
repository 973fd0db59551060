#include "runtime/sync/semaphore.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <utility>

#include "runtime/core/coop.h"

namespace magpie::sync {

// ---- SemaphorePermit -------------------------------------------------------

SemaphorePermit::SemaphorePermit(SemaphorePermit&& other) noexcept
    : sem_(other.sem_), permits_(std::exchange(other.permits_, 0)) {}

SemaphorePermit& SemaphorePermit::operator=(SemaphorePermit&& other) noexcept {
  if (this != &other) {
    SemaphorePermit taken(std::move(other));
    std::swap(sem_, taken.sem_);
    std::swap(permits_, taken.permits_);
  }
  return *this;
}

SemaphorePermit::~SemaphorePermit() {
  if (permits_ != 0) sem_->release(permits_);
}

void SemaphorePermit::merge(SemaphorePermit&& other) {
  if (other.permits_ == 0) return;
  if (permits_ != 0 && sem_ != other.sem_) {
    throw std::invalid_argument(
        "magpie: SemaphorePermit::merge of permits from another semaphore");
  }
  sem_ = other.sem_;
  permits_ += std::exchange(other.permits_, 0);
}

std::optional<SemaphorePermit> SemaphorePermit::split(std::uint32_t n) {
  if (n > permits_) return std::nullopt;
  permits_ -= n;
  return SemaphorePermit(sem_, n);
}

// ---- Semaphore -------------------------------------------------------------

Semaphore::Semaphore(std::size_t permits) : permits_(0) {
  if (permits > kMaxPermits) {
    throw std::length_error("magpie: Semaphore permits above kMaxPermits");
  }
  // ORDERING: relaxed; the object is not shared yet.
  permits_.store(permits << kShift, std::memory_order_relaxed);
}

Semaphore::Acquire Semaphore::acquire(std::uint32_t n) {
  return Acquire(this, n);
}

Semaphore::Taken Semaphore::take(std::uint32_t n, bool partial,
                                 std::size_t* taken) {
  // ORDERING: acquire/acq_rel pair with the release fetch_add in
  // release_locked(): whoever takes a permit sees what its releaser did.
  std::size_t word = permits_.load(std::memory_order_acquire);
  while (true) {
    if (word & kClosed) return Taken::kClosed;
    const std::size_t available = word >> kShift;
    std::size_t want = n;
    if (available < n) {
      if (!partial) return Taken::kSome;  // *taken stays 0
      want = available;
    }
    if (want == 0) {
      *taken = 0;
      return n == 0 ? Taken::kAll : Taken::kSome;
    }
    if (permits_.compare_exchange_weak(word, word - (want << kShift),
                                       std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      *taken = want;
      return want == n ? Taken::kAll : Taken::kSome;
    }
  }
}

Result<SemaphorePermit, TryAcquireError> Semaphore::try_acquire(
    std::uint32_t n) {
  std::size_t taken = 0;
  switch (take(n, /*partial=*/false, &taken)) {
    case Taken::kAll:
      return SemaphorePermit(this, n);
    case Taken::kSome:
      return err(TryAcquireError::kNoPermits);
    case Taken::kClosed:
      break;
  }
  return err(TryAcquireError::kClosed);
}

void Semaphore::add_permits(std::size_t n) {
  if (n == 0) return;
  internal::WakeList wake;  // woken after the lock is released
  {
    core::MutexLock lock(&mu_);
    // ORDERING: relaxed; only release_locked() (under mu_) adds to the word,
    // and taking permits away only makes room.
    const std::size_t available =
        permits_.load(std::memory_order_relaxed) >> kShift;
    if (n > kMaxPermits - available) {
      throw std::length_error("magpie: Semaphore permits above kMaxPermits");
    }
    release_locked(n, wake);
  }
}

void Semaphore::release(std::size_t n) {
  if (n == 0) return;
  internal::WakeList wake;
  {
    core::MutexLock lock(&mu_);
    release_locked(n, wake);
  }
}

void Semaphore::release_locked(std::size_t n, internal::WakeList& wake) {
  // Semaphore rule 1: waiters first, in order; the head is served in part
  // if it needs more than there is, and blocks everyone behind it.
  while (n > 0 && !waiters_.empty()) {
    Node* head = waiters_.front();
    const std::size_t give = std::min(n, head->remaining);
    head->remaining -= give;
    n -= give;
    if (head->remaining == 0) {
      waiters_.pop_front();
      wake.push(std::move(head->waker));
    }
  }
  if (n > 0) {
    // ORDERING: release pairs with the acquire CAS in take().
    permits_.fetch_add(n << kShift, std::memory_order_release);
  }
}

void Semaphore::close() {
  internal::WakeList wake;
  core::MutexLock lock(&mu_);
  // ORDERING: release pairs with the acquire loads in take()/is_closed().
  permits_.fetch_or(kClosed, std::memory_order_release);
  // Each waiter keeps what was assigned to it (remaining > 0 tells it the
  // semaphore closed) and gives it back when it sees the error (rule 2).
  while (Node* node = waiters_.pop_front()) wake.push(std::move(node->waker));
  // ~MutexLock runs first, then ~WakeList wakes (declared before).
}

bool Semaphore::is_closed() const {
  // ORDERING: acquire pairs with the release fetch_or in close().
  return permits_.load(std::memory_order_acquire) & kClosed;
}

std::size_t Semaphore::available_permits() const {
  // ORDERING: relaxed; a snapshot.
  return permits_.load(std::memory_order_relaxed) >> kShift;
}

// ---- Acquire ---------------------------------------------------------------

Semaphore::Acquire::Acquire(Acquire&& other) noexcept
    : sem_(other.sem_), n_(other.n_), state_(other.state_) {
  assert(other.state_ != State::kWaiting && "Acquire moved after its poll");
  other.state_ = State::kDone;
}

Semaphore::Acquire::~Acquire() {
  if (state_ != State::kWaiting) return;
  internal::WakeList wake;
  Waker stale;  // dropped after the lock, like the wakers to wake
  core::MutexLock lock(&sem_->mu_);
  if (node_.linked) sem_->waiters_.remove(&node_);
  // Rule 2: whatever was assigned to us (all of it if we were completed
  // but never polled again) goes to the next waiter.
  sem_->release_locked(n_ - node_.remaining, wake);
  stale = std::move(node_.waker);
}

Poll<Semaphore::Acquire::Output> Semaphore::Acquire::poll(Context& cx) {
  assert(state_ != State::kDone && "Acquire polled after completion");
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;

  if (state_ == State::kIdle) {
    std::size_t taken = 0;
    switch (sem_->take(n_, /*partial=*/false, &taken)) {
      case Taken::kAll:
        state_ = State::kDone;
        coop->made_progress();
        return Output(SemaphorePermit(sem_, n_));
      case Taken::kClosed:
        state_ = State::kDone;
        coop->made_progress();
        return Output(err(AcquireError::kClosed));
      case Taken::kSome:
        break;
    }
    // Slow path: under the lock, drain the word (rule 1: it holds permits
    // only while nobody waits) and queue for the rest.
    core::MutexLock lock(&sem_->mu_);
    switch (sem_->take(n_, /*partial=*/true, &taken)) {
      case Taken::kAll:
        state_ = State::kDone;
        coop->made_progress();
        return Output(SemaphorePermit(sem_, n_));
      case Taken::kClosed:
        state_ = State::kDone;
        coop->made_progress();
        return Output(err(AcquireError::kClosed));
      case Taken::kSome:
        break;
    }
    node_.remaining = n_ - taken;
    node_.waker = cx.waker();
    sem_->waiters_.push_back(&node_);
    state_ = State::kWaiting;
    return Pending;
  }

  // kWaiting. Waiter rule 3: check and register in one lock hold.
  internal::WakeList wake;
  Waker stale;
  core::MutexLock lock(&sem_->mu_);
  if (node_.linked) {
    if (!node_.waker.will_wake(cx.waker())) {
      stale = std::exchange(node_.waker, cx.waker());
    }
    return Pending;
  }
  state_ = State::kDone;
  coop->made_progress();
  if (node_.remaining == 0) return Output(SemaphorePermit(sem_, n_));
  // Unlinked with permits still owed: close() took us out. Give back what
  // was assigned (rule 2).
  sem_->release_locked(n_ - node_.remaining, wake);
  return Output(err(AcquireError::kClosed));
}

}  // namespace magpie::sync
