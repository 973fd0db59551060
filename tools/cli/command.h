// magpie::cli::Command — one subcommand of the `magpie` tool
// (tools/magpie.cc). Each subcommand lives in its own file under tools/cli/
// (bench.cc, ...) and exports one Command; main() lists them and dispatches
// on argv[1]. Adding a subcommand: write tools/cli/<name>.{h,cc} with a
// `const Command& <name>_command()`, add it to kCommands in tools/magpie.cc.
//
// Threads: run() is called once, on the main thread.

#ifndef MAGPIE_TOOLS_CLI_COMMAND_H_
#define MAGPIE_TOOLS_CLI_COMMAND_H_

#include <span>
#include <string_view>

namespace magpie::cli {

struct Command {
  std::string_view name;
  std::string_view summary;  // One line, for `magpie help`.
  std::string_view usage;    // The flags, for `magpie help <name>`.
  // args: what follows the subcommand's name. Returns the exit status (0 ok,
  // 1 the command failed, 2 bad usage).
  int (*run)(std::span<char* const> args);
};

}  // namespace magpie::cli

#endif  // MAGPIE_TOOLS_CLI_COMMAND_H_
