#include "actors/restart_policy.hpp"

#include <algorithm>

namespace trainia {

restart_decision restart_tracker::on_failure(clock::time_point now) {
  if (count_ == 0 || now - window_start_ > policy_.window) {
    window_start_ = now;
    count_ = 0;
    backoff_ = std::chrono::milliseconds{0};
  }
  ++count_;
  backoff_ = backoff_.count() == 0 ? policy_.initial_backoff : std::min(policy_.max_backoff, backoff_ * 2);
  restart_decision d;
  d.delay = backoff_;
  if (count_ > policy_.max_restarts) {
    if (policy_.escalate) d.give_up = true;
    else d.delay = policy_.max_backoff;
  }
  return d;
}

}  // namespace trainia
