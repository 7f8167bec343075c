#pragma once

#include "net/connection.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace trainia::net {

/// Idle keep-alive connections by origin (scheme, host, port). Each origin has
/// its own lock, held only to push or pop; the map lock is taken exclusively
/// only the first time an origin is seen. Thread-safe.
class connection_pool {
 public:
  connection_pool(size_t max_idle_per_origin, std::chrono::seconds idle_keepalive);

  /// The most recently used idle connection to `origin` that is still usable,
  /// or null. Expired or server-closed ones met on the way are closed.
  std::shared_ptr<connection> checkout(const std::string& origin);
  /// Keeps `c` for reuse (closing the oldest idle one beyond the per-origin
  /// limit), or closes it once the pool is shut.
  void checkin(std::shared_ptr<connection> c);
  /// Closes idle connections that expired or that the server closed.
  void sweep();
  /// Closes everything and refuses later check-ins.
  void shut();

  size_t idle_count() const;

 private:
  struct bucket {
    std::mutex mx;
    std::deque<std::shared_ptr<connection>> idle;  // oldest first
  };
  bucket& bucket_for(const std::string& origin);
  bool expired(const connection& c, std::chrono::steady_clock::time_point now) const;

  size_t max_idle_;
  std::chrono::seconds keepalive_;
  std::atomic<bool> shut_{false};
  mutable std::shared_mutex mx_;
  std::unordered_map<std::string, std::unique_ptr<bucket>> buckets_;
};

}  // namespace trainia::net
