#include "runtime/task/unhandled_exception.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <typeinfo>

#include "absl/strings/str_cat.h"

namespace magpie {
namespace task {
namespace {

// "std::runtime_error" rather than "St13runtime_error".
std::string type_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name =
      status == 0 && demangled != nullptr ? demangled : type.name();
  std::free(demangled);
  return name;
}

}  // namespace

std::string describe_exception(const std::exception_ptr& error) {
  if (!error) return "no exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return absl::StrCat(type_name(typeid(e)), ": ", e.what());
  } catch (...) {
    return "unknown exception (not a std::exception)";
  }
}

void log_unhandled_exception(std::uint64_t task_id, SpawnSite site,
                             const std::exception_ptr& error) noexcept {
  try {
    const std::string line = absl::StrCat(
        "magpie: task ", task_id, " spawned at ",
        site.file != nullptr ? site.file : "(unknown)", ":", site.line,
        " threw an exception nobody awaited: ", describe_exception(error),
        "\n");
    std::fwrite(line.data(), 1, line.size(), stderr);
  } catch (...) {
    // Out of memory while formatting: say what we can without allocating.
    std::fprintf(stderr,
                 "magpie: task %llu threw an exception nobody awaited\n",
                 static_cast<unsigned long long>(task_id));
  }
}

}  // namespace task

UnhandledExceptionHandler UnhandledExceptionHandler::call(
    UnhandledExceptionCallback callback) {
  if (!callback) {
    throw std::invalid_argument(
        "magpie: UnhandledExceptionHandler::call needs a callback");
  }
  return UnhandledExceptionHandler(Policy::kCall, std::move(callback));
}

void UnhandledExceptionHandler::report(
    std::uint64_t task_id, SpawnSite site,
    std::exception_ptr error) const noexcept {
  switch (policy_) {
    case Policy::kIgnore:
      return;
    case Policy::kLog:
      task::log_unhandled_exception(task_id, site, error);
      return;
    case Policy::kCall:
      try {
        callback_(task_id, site, error);
      } catch (...) {
        // The callback failed: report both, and carry on (never into a
        // worker's loop).
        task::log_unhandled_exception(task_id, site, error);
        try {
          const std::string line = absl::StrCat(
              "magpie: the unhandled-exception callback threw: ",
              task::describe_exception(std::current_exception()), "\n");
          std::fwrite(line.data(), 1, line.size(), stderr);
        } catch (...) {
          std::fputs("magpie: the unhandled-exception callback threw\n",
                     stderr);
        }
      }
      return;
  }
}

}  // namespace magpie
