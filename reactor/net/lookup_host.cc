#include "reactor/net/lookup_host.h"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "reactor/sys/error.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/coop.h"
#include "runtime/core/mutex.h"

namespace magpie::net {
namespace internal {

struct LookupJob {
  std::string host;
  std::uint16_t port = 0;
  // Written by the resolver thread before `done` (release).
  absl::StatusOr<std::vector<SocketAddr>> result;
  core::Atomic<bool> done{false};
  core::Atomic<bool> abandoned{false};
  AtomicWaker waker;
};

}  // namespace internal
namespace {

using internal::LookupJob;

absl::Status gai_status(int rc, int saved_errno, const std::string& host) {
  const std::string what = absl::StrCat("lookup_host(\"", host, "\")");
  switch (rc) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
      return absl::NotFoundError(absl::StrCat(what, ": ", gai_strerror(rc)));
    case EAI_AGAIN:
      return absl::UnavailableError(absl::StrCat(what, ": ", gai_strerror(rc)));
    case EAI_SYSTEM:
      return reactor::sys::errno_status(saved_errno, what);
    default:
      return absl::UnknownError(absl::StrCat(what, ": ", gai_strerror(rc)));
  }
}

absl::StatusOr<std::vector<SocketAddr>> resolve(const std::string& host,
                                                std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // One entry per address.
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  const int saved_errno = errno;
  if (rc != 0) return gai_status(rc, saved_errno, host);
  std::vector<SocketAddr> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<SocketAddr> addr =
        SocketAddr::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!addr.ok()) continue;  // A family we do not speak.
    addr->set_port(port);
    out.push_back(*addr);
  }
  ::freeaddrinfo(list);
  if (out.empty()) {
    return absl::NotFoundError(
        absl::StrCat("lookup_host(\"", host, "\"): no IPv4 or IPv6 address"));
  }
  return out;
}

// The resolver pool (see the header: why it exists, its bounds).
class Resolver {
 public:
  static Resolver& get() {
    // Never destroyed: detached threads may use it until the process ends.
    static Resolver* resolver = new Resolver;
    return *resolver;
  }

  void submit(std::shared_ptr<LookupJob> job) {
    bool spawn = false;
    {
      core::MutexLock lock(&mutex_);
      queue_.push_back(std::move(job));
      if (idle_ == 0 && threads_ < kMaxResolverThreads) {
        threads_ += 1;
        spawn = true;
      }
    }
    if (!spawn) {
      cv_.notify_one();
      return;
    }
    try {
      std::thread([this] { run(); }).detach();
    } catch (const std::system_error& e) {
      // No thread: fail whatever no other resolver thread will pick up.
      std::deque<std::shared_ptr<LookupJob>> orphaned;
      {
        core::MutexLock lock(&mutex_);
        threads_ -= 1;
        if (threads_ == 0) orphaned.swap(queue_);
      }
      for (std::shared_ptr<LookupJob>& job : orphaned) {
        job->result = absl::ResourceExhaustedError(
            std::string("lookup_host: cannot start a resolver thread: ") +
            e.what());
        // ORDERING: release pairs with the acquire in poll().
        job->done.store(true, std::memory_order_release);
        job->waker.wake();
      }
    }
  }

 private:
  void run() {
    while (true) {
      std::shared_ptr<LookupJob> job;
      {
        core::MutexLock lock(&mutex_);
        if (queue_.empty()) {
          idle_ += 1;
          lock.wait_for(cv_, kResolverIdle);
          idle_ -= 1;
          if (queue_.empty()) {
            threads_ -= 1;
            return;
          }
        }
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      // ORDERING: relaxed; skipping is only an optimisation.
      if (job->abandoned.load(std::memory_order_relaxed)) continue;
      job->result = resolve(job->host, job->port);
      // ORDERING: release pairs with the acquire in poll(): the result is
      // visible to whoever sees done.
      job->done.store(true, std::memory_order_release);
      job->waker.wake();
    }
  }

  core::Mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<LookupJob>> queue_ ABSL_GUARDED_BY(mutex_);
  int threads_ ABSL_GUARDED_BY(mutex_) = 0;
  int idle_ ABSL_GUARDED_BY(mutex_) = 0;
};

absl::Status bad_input(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "lookup_host(\"", std::string(text), "\"): ", std::string(why)));
}

}  // namespace

LookupHostFuture::LookupHostFuture(std::string_view host_port) {
  if (host_port.find('\0') != std::string_view::npos) {
    immediate_ = Output(bad_input("<with NUL>", "contains a NUL byte"));
    return;
  }
  if (absl::StatusOr<SocketAddr> numeric = SocketAddr::parse(host_port);
      numeric.ok()) {
    immediate_ = Output(std::vector<SocketAddr>{*numeric});
    return;
  }
  const std::size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    immediate_ = Output(bad_input(host_port, "expected host:port"));
    return;
  }
  std::string_view host = host_port.substr(0, colon);
  const std::string_view port_text = host_port.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(
      port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535) {
    immediate_ = Output(bad_input(host_port, "bad port"));
    return;
  }
  if (host.empty()) {
    immediate_ = Output(bad_input(host_port, "empty host"));
    return;
  }
  host_ = std::string(host);
  port_ = static_cast<std::uint16_t>(port);
}

LookupHostFuture::LookupHostFuture(std::string_view host, std::uint16_t port) {
  if (host.empty() || host.find('\0') != std::string_view::npos) {
    immediate_ = Output(bad_input("<host>", "empty host or a NUL byte"));
    return;
  }
  host_ = std::string(host);
  port_ = port;
}

LookupHostFuture::LookupHostFuture(LookupHostFuture&&) noexcept = default;
LookupHostFuture& LookupHostFuture::operator=(LookupHostFuture&&) noexcept =
    default;

LookupHostFuture::~LookupHostFuture() {
  // ORDERING: relaxed; the resolver only uses it to skip work.
  if (job_ != nullptr) job_->abandoned.store(true, std::memory_order_relaxed);
}

Poll<LookupHostFuture::Output> LookupHostFuture::poll(Context& cx) {
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;
  if (immediate_.has_value()) {
    coop->made_progress();
    return std::move(*immediate_);
  }
  if (job_ == nullptr) {
    // A literal in brackets or a plain numeric host with a separate port.
    if (absl::StatusOr<SocketAddr> numeric = SocketAddr::parse(absl::StrCat(
            host_.find(':') != std::string::npos ? "[" : "", host_,
            host_.find(':') != std::string::npos ? "]" : "", ":", port_));
        numeric.ok()) {
      coop->made_progress();
      return Output(std::vector<SocketAddr>{*numeric});
    }
    job_ = std::make_shared<LookupJob>();
    job_->host = host_;
    job_->port = port_;
    job_->waker.register_waker(cx.waker());
    Resolver::get().submit(job_);
  }
  // ORDERING: acquire pairs with the resolver's release store of `done`.
  if (!job_->done.load(std::memory_order_acquire)) {
    job_->waker.register_waker(cx.waker());
    // Re-check after registering (DESIGN §1).
    if (!job_->done.load(std::memory_order_acquire)) return Pending;
  }
  coop->made_progress();
  Output out = std::move(job_->result);
  job_.reset();
  immediate_ = Output(absl::FailedPreconditionError("polled after Ready"));
  return out;
}

}  // namespace magpie::net
