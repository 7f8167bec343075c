#include "net/net_test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace trainia::test {

black_hole_listener::black_hole_listener() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 0) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("black_hole_listener: cannot listen");
  port_ = ntohs(addr.sin_port);
  // Backlog 0 queues one connection; once it is queued the kernel drops SYNs.
  for (int i = 0; i < 3; ++i) {
    fillers_[i] = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fillers_[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (i == 0) ::usleep(50 * 1000);
  }
}

black_hole_listener::~black_hole_listener() {
  for (int fd : fillers_)
    if (fd >= 0) ::close(fd);
  if (listener_ >= 0) ::close(listener_);
}

}  // namespace trainia::test
