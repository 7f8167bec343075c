#pragma once

#include <chrono>

namespace trainia {

/// How a supervisor restarts a failed child: at most `max_restarts` within
/// `window`, each after an exponentially growing delay capped at `max_backoff`.
struct restart_policy {
  int max_restarts = 10;
  std::chrono::milliseconds window{30000};
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{2000};
  bool escalate = false;  // after the budget: give up (escalate) or keep restarting at max_backoff
};

/// What to do about one failure.
struct restart_decision {
  bool give_up = false;
  std::chrono::milliseconds delay{0};
};

/// Pure restart bookkeeping for one child; no CAF, unit-tested on its own.
class restart_tracker {
 public:
  using clock = std::chrono::steady_clock;
  explicit restart_tracker(restart_policy p = {}) : policy_(p) {}

  /// Records a failure at `now` and decides.
  restart_decision on_failure(clock::time_point now);

  int restarts_in_window() const { return count_; }

 private:
  restart_policy policy_;
  clock::time_point window_start_{};
  int count_ = 0;
  std::chrono::milliseconds backoff_{0};
};

}  // namespace trainia
