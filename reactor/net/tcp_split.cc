#include "reactor/net/split.h"
#include "reactor/net/tcp_stream.h"

namespace magpie::net {

std::pair<ReadHalf, WriteHalf> TcpStream::split() {
  return {ReadHalf(*this), WriteHalf(*this)};
}

std::pair<OwnedReadHalf, OwnedWriteHalf> TcpStream::into_split() && {
  return into_split_of(std::move(*this));
}

}  // namespace magpie::net
