#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace trainia::test {

/// Calls `ok` every 50 ms until it returns true or `timeout` passes; the last
/// answer (one more call at the end) is the result. For state that a server
/// reaches on its own (connections made, caches dropped), never for timing.
inline bool poll_until(const std::function<bool()>& ok,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ok();
}

}  // namespace trainia::test
