#include "runtime/task/header.h"

#include <cstring>
#include <memory>

namespace magpie::task {

// The cold form of a TaskLabel (see header.h).
struct TaskLabel::Cold {
  SpawnSite site;
  std::unique_ptr<char[]> name;  // null when unnamed
};

void TaskLabel::make_cold(SpawnSite site) {
  word_ = reinterpret_cast<std::uint64_t>(new Cold{site, nullptr}) | kColdBit;
}

void TaskLabel::destroy_cold() { delete cold(); }

TaskLabel::Cold* TaskLabel::cold() const {
  return reinterpret_cast<Cold*>(word_ & ~kColdBit);
}

SpawnSite TaskLabel::cold_site() const { return cold()->site; }

const char* TaskLabel::name() const {
  return is_cold() ? cold()->name.get() : nullptr;
}

void TaskLabel::set_name(std::string_view name) {
  if (!is_cold()) {
    if (name.empty()) return;
    make_cold(site());
  }
  std::unique_ptr<char[]> copy;
  if (!name.empty()) {
    copy = std::make_unique<char[]>(name.size() + 1);
    std::memcpy(copy.get(), name.data(), name.size());
    copy[name.size()] = '\0';
  }
  cold()->name = std::move(copy);
}

}  // namespace magpie::task
