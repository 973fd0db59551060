#include "runtime/block_on.h"

namespace magpie::block_on_internal {

const Arc<park::Parker>& current_thread_parker() {
  thread_local const Arc<park::Parker> parker = make_arc<park::Parker>();
  return parker;
}

}  // namespace magpie::block_on_internal
