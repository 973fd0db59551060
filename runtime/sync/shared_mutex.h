// magpie::sync::internal::SharedMutex — std::shared_mutex with Clang
// thread-safety annotations (readers share, a writer excludes), for
// watch's borrow(). ThreadSanitizer understands it (pthread rwlock).
//
// Threads: like std::shared_mutex. STYLE rule 8 applies to writers: no user
// code but the value's own update under it.

#ifndef MAGPIE_RUNTIME_SYNC_SHARED_MUTEX_H_
#define MAGPIE_RUNTIME_SYNC_SHARED_MUTEX_H_

#include <shared_mutex>

#include "absl/base/thread_annotations.h"

namespace magpie::sync::internal {

class ABSL_LOCKABLE SharedMutex {
 public:
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  void lock_shared() ABSL_SHARED_LOCK_FUNCTION() { mu_.lock_shared(); }
  void unlock_shared() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

}  // namespace magpie::sync::internal

#endif  // MAGPIE_RUNTIME_SYNC_SHARED_MUTEX_H_
