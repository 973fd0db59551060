// magpie::SpawnOptions — optional settings for one spawn, in the style of
// Tokio's task::Builder:
//
//   rt.spawn(SpawnOptions{.name = "accept-loop"}, accept_loop(listener));
//   magpie::spawn_named("conn", serve(std::move(socket)));   // the same
//
// Every spawn entry point (Runtime, Handle, LocalExecutor, the free
// magpie::spawn) has an overload taking SpawnOptions first, and a
// spawn_named(name, future) shorthand; each keeps the trailing
// `SpawnSite where = SpawnSite::current()` default argument.
//
// name: shown by the task dump (task_dump.h) as name="...". Copied at spawn
// into one small allocation owned by the task (none when empty); the
// string_view need only live for the call.

#ifndef MAGPIE_RUNTIME_TASK_SPAWN_OPTIONS_H_
#define MAGPIE_RUNTIME_TASK_SPAWN_OPTIONS_H_

#include <string_view>

#include "runtime/task/header.h"

namespace magpie {

struct SpawnOptions {
  std::string_view name;  // empty: unnamed
};

namespace task {

// Applies `options` to a task fresh from Cell::allocate, before it is
// published (bound to its OwnedTasks list): nobody else sees it yet.
void apply_spawn_options(Header* header, const SpawnOptions& options);

}  // namespace task
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_SPAWN_OPTIONS_H_
