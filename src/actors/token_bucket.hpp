#pragma once

#include <chrono>

namespace trainia {

/// Token bucket for one user's request rate; owned by that user's session
/// actor, so it needs no synchronisation.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;
  token_bucket(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}

  /// Takes one token if available. Otherwise returns false and sets
  /// `retry_after` to whole seconds until one is (at least 1).
  bool take(clock::time_point now, int& retry_after);

 private:
  double rate_, burst_, tokens_;
  clock::time_point last_{};
};

}  // namespace trainia
