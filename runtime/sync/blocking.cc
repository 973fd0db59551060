#include "runtime/sync/blocking.h"

#include <stdexcept>
#include <string>

#include "runtime/scheduler/worker.h"

namespace magpie::sync::internal {

void check_may_block(const char* what) {
  if (scheduler::current_thread_is_worker()) {
    throw std::logic_error(std::string("magpie: ") + what +
                           " called on a runtime worker thread; it would "
                           "block the worker (use the async form instead)");
  }
}

}  // namespace magpie::sync::internal
