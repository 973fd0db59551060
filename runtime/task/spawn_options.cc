#include "runtime/task/spawn_options.h"

#include <cstring>
#include <memory>

namespace magpie::task {

void apply_spawn_options(Header* header, const SpawnOptions& options) {
  if (options.name.empty()) return;
  auto name = std::make_unique<char[]>(options.name.size() + 1);
  std::memcpy(name.get(), options.name.data(), options.name.size());
  name[options.name.size()] = '\0';
  header->vtable->trailer(header)->name = std::move(name);
}

}  // namespace magpie::task
