#include "runtime/task/header.h"

#include <cstring>
#include <memory>

namespace magpie::task {

// The cold form of a TaskLabel (see header.h).
struct TaskLabel::Cold {
  SpawnSite site;
  std::unique_ptr<char[]> name;  // null when unnamed
};

TaskLabel::TaskLabel(SpawnSite site) {
  const auto file = reinterpret_cast<std::uint64_t>(site.file);
  if ((file & ~kPointerMask) == 0 && site.line <= kMaxInlineLine) {
    word_ = file | (std::uint64_t{site.line} << kLineShift);
    return;
  }
  word_ = reinterpret_cast<std::uint64_t>(new Cold{site, nullptr}) | kColdBit;
}

TaskLabel::~TaskLabel() {
  if (is_cold()) delete cold();
}

TaskLabel::Cold* TaskLabel::cold() const {
  return reinterpret_cast<Cold*>(word_ & ~kColdBit);
}

SpawnSite TaskLabel::site() const {
  if (is_cold()) return cold()->site;
  return SpawnSite{reinterpret_cast<const char*>(word_ & kPointerMask),
                   static_cast<std::uint32_t>(word_ >> kLineShift)};
}

const char* TaskLabel::name() const {
  return is_cold() ? cold()->name.get() : nullptr;
}

void TaskLabel::set_name(std::string_view name) {
  if (!is_cold()) {
    if (name.empty()) return;
    word_ =
        reinterpret_cast<std::uint64_t>(new Cold{site(), nullptr}) | kColdBit;
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
