#pragma once
// Helpers shared by the outbound client tests.

#include "net/outbound_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>

namespace trainia::test {

/// Sends through `c` and waits (this test thread only) for `done`.
inline net::outbound_response call_sync(net::outbound_client& c, net::outbound_request req,
                                        net::retry_options retry = {},
                                        std::chrono::milliseconds wait = std::chrono::seconds(20)) {
  auto p = std::make_shared<std::promise<net::outbound_response>>();
  auto f = p->get_future();
  c.send(std::move(req), std::move(retry), [p](net::outbound_response r) { p->set_value(std::move(r)); });
  REQUIRE(f.wait_for(wait) == std::future_status::ready);
  return f.get();
}

inline net::outbound_request get(const std::string& url) {
  net::outbound_request r;
  r.url = url;
  return r;
}

/// Polls `pred` every 5 ms for up to `limit`.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

/// A TCP listener on 127.0.0.1 whose accept queue is full and never drained:
/// the kernel drops further SYNs, so a connect to port() hangs until its
/// time-out (a deterministic "unresponsive host").
class black_hole_listener {
 public:
  black_hole_listener();
  ~black_hole_listener();
  black_hole_listener(const black_hole_listener&) = delete;
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  int fillers_[3] = {-1, -1, -1};
  uint16_t port_ = 0;
};

}  // namespace trainia::test
