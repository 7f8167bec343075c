#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace trainia::ai {

/// What the policy needs to know of one provider attempt (a view of
/// net::outbound_response, so the policy is testable on its own).
struct provider_reply {
  int status = 0;  // 0: no HTTP response
  bool timed_out = false;
  bool cancelled = false;
  std::string body;
  std::string retry_after;     // `Retry-After` header value, or ""
  std::string retry_after_ms;  // `retry-after-ms` header value, or ""
  std::string network_error;   // when status == 0
};

/// How an attempt ended.
enum class attempt_kind {
  success,    // 2xx
  retryable,  // 429 rate_limit_exceeded (any 429 but insufficient_quota), 408, 409, 5xx, time-out, network error
  fatal,      // 400, 401, 403, 404, 429 insufficient_quota, any other status
  cancelled,  // we abandoned the call
};

attempt_kind classify_attempt(const provider_reply& r);

/// The wait the provider asked for: `retry-after-ms` (milliseconds, may be
/// fractional) wins over `Retry-After` (delta-seconds or an HTTP-date,
/// relative to `now`). nullopt when absent, malformed or negative.
std::optional<std::chrono::milliseconds> retry_hint(std::string_view retry_after_ms, std::string_view retry_after,
                                                    std::time_t now);

/// Exponential back-off before attempt `attempt + 1`: base · 2^(attempt−1),
/// capped at 8 s, shortened by up to 25 % by `jitter` in [0, 1).
std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds base, double jitter);

/// The decision after attempt `attempt` (counted from 1).
struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  /// Set when a retryable failure is given up because the wait would end past
  /// the deadline (never slept: the task fails now with this text).
  std::string gave_up;
};

/// Decides whether to try again: only retryable attempts with attempts left;
/// waits as the provider asked (else back-off), but gives up rather than
/// sleep past `remaining` (time left until the task's deadline).
retry_decision decide_retry(const provider_reply& r, int attempt, int max_attempts, std::chrono::milliseconds remaining,
                            std::chrono::milliseconds base, double jitter, std::time_t now);

}  // namespace trainia::ai
