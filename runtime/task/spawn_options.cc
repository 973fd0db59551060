#include "runtime/task/spawn_options.h"

namespace magpie::task {

void apply_spawn_options(Header* header, const SpawnOptions& options) {
  header->spawn_site.set_name(options.name);
}

}  // namespace magpie::task
