#include "runtime/task/spawn_options.h"

namespace magpie::task {

void apply_spawn_options(Header* header, const SpawnOptions& options) {
  // Most spawns are unnamed: no call (a fresh label has no name to clear).
  if (options.name.empty()) return;
  header->spawn_site.set_name(options.name);
}

}  // namespace magpie::task
