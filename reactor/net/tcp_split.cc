#include "reactor/net/tcp_split.h"

namespace magpie::net {

std::pair<ReadHalf, WriteHalf> TcpStream::split() {
  return {ReadHalf(*this), WriteHalf(*this)};
}

std::pair<OwnedReadHalf, OwnedWriteHalf> TcpStream::into_split() && {
  auto shared = std::make_shared<TcpStream>(std::move(*this));
  return {OwnedReadHalf(shared), OwnedWriteHalf(shared)};
}

absl::StatusOr<TcpStream> OwnedReadHalf::reunite(OwnedWriteHalf writer) && {
  if (stream_ == nullptr || stream_ != writer.stream_) {
    return absl::InvalidArgumentError(
        "reunite: the halves come from different streams");
  }
  // The write half lets go without shutting anything down.
  writer.stream_.reset();
  std::shared_ptr<TcpStream> stream = std::move(stream_);
  return std::move(*stream);
}

OwnedWriteHalf& OwnedWriteHalf::operator=(OwnedWriteHalf&& other) noexcept {
  if (this != &other) {
    OwnedWriteHalf dropped(std::move(*this));
    stream_ = std::move(other.stream_);
  }
  return *this;
}

OwnedWriteHalf::~OwnedWriteHalf() {
  // A peer that already went away makes this fail; there is nobody to tell.
  if (stream_ != nullptr && stream_->fd() >= 0) {
    (void)stream_->shutdown(Shutdown::kWrite);
  }
}

}  // namespace magpie::net
