// main() for a user's stress binary (//:magpie_stress_main, CMake
// magpie::stress_main): runs every scenario registered with
// MAGPIE_STRESS_SCENARIO in the libraries linked in, with the flags of
// `magpie stress` (runtime/testing/stress.h), plus --builtin to add magpie's
// own suite.
//
//   cc_binary(name = "my_stress", deps = [":my_scenarios",  # alwayslink
//                                         "@magpie//:magpie_stress_main"])
//   bazel run //:my_stress -- --seconds 30 --workers 2,4,8 --chaos

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/testing/builtin_scenarios.h"
#include "runtime/testing/stress.h"

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--builtin") {
      magpie::testing::register_builtin_stress_scenarios();
    } else {
      args.push_back(argv[i]);
    }
  }
  return magpie::testing::stress_main(args, argc > 0 ? argv[0] : "stress");
}
