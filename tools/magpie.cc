// magpie — the command-line tool that ships with the runtime. Each
// subcommand is a tools/cli/<name>.cc exporting one cli::Command; main()
// only dispatches.
//
//   magpie bench [flags]      the runtime workloads, with a table
//   magpie stress [flags]     hunt lost wakeups (built-in + registered)
//   magpie help [command]     the subcommands, or one's flags
//
//   bazel run --config=opt //tools:magpie -- bench
//   bazel run --config=opt //tools:magpie -- stress --seconds 10

#include <array>
#include <cstdio>
#include <span>
#include <string_view>

#include "tools/cli/bench.h"
#include "tools/cli/command.h"
#include "tools/cli/stress.h"

namespace {

using magpie::cli::Command;

const std::array<const Command*, 2> kCommands = {
    &magpie::cli::bench_command(),
    &magpie::cli::stress_command(),
};

const Command* find(std::string_view name) {
  for (const Command* command : kCommands) {
    if (command->name == name) return command;
  }
  return nullptr;
}

int help(std::string_view topic) {
  if (const Command* command = find(topic)) {
    std::printf("%.*s", static_cast<int>(command->usage.size()),
                command->usage.data());
    return 0;
  }
  std::printf("usage: magpie <command> [flags]\n\ncommands:\n");
  for (const Command* command : kCommands) {
    std::printf("  %-8.*s %.*s\n", static_cast<int>(command->name.size()),
                command->name.data(), static_cast<int>(command->summary.size()),
                command->summary.data());
  }
  std::printf("  %-8s %s\n", "help", "this list, or `magpie help <command>`");
  return topic.empty() ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view name = argc > 1 ? argv[1] : "";
  if (name.empty() || name == "help" || name == "--help" || name == "-h") {
    return help(argc > 2 ? argv[2] : "");
  }
  const Command* command = find(name);
  if (command == nullptr) {
    std::fprintf(stderr, "magpie: unknown command '%.*s'\n\n",
                 static_cast<int>(name.size()), name.data());
    help("");
    return 2;
  }
  return command->run(std::span<char* const>(argv + 2, argc - 2));
}
