#include "ai/retry_policy.hpp"

#include "ai/openai_wire.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace trainia::ai {

namespace {

constexpr std::chrono::milliseconds max_backoff{8000};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 32) return std::nullopt;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  std::string text(s);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the only form servers send now.
std::optional<std::time_t> parse_http_date(std::string_view s) {
  s = trim(s);
  std::string text(s);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

}  // namespace

attempt_kind classify_attempt(const provider_reply& r) {
  if (r.cancelled) return attempt_kind::cancelled;
  if (r.status == 0) return attempt_kind::retryable;  // time-out, refused, reset
  if (r.status >= 200 && r.status < 300) return attempt_kind::success;
  if (r.status == 429)
    return error_code_of(r.body) == "insufficient_quota" ? attempt_kind::fatal : attempt_kind::retryable;
  if (r.status == 408 || r.status == 409 || r.status >= 500) return attempt_kind::retryable;
  return attempt_kind::fatal;
}

std::optional<std::chrono::milliseconds> retry_hint(std::string_view retry_after_ms, std::string_view retry_after,
                                                    std::time_t now) {
  if (auto ms = parse_number(retry_after_ms))
    return std::chrono::milliseconds(static_cast<int64_t>(std::min(*ms, 1e12)));
  if (auto secs = parse_number(retry_after))
    return std::chrono::milliseconds(static_cast<int64_t>(std::min(*secs, 1e9) * 1000));
  if (auto at = parse_http_date(retry_after)) {
    auto delta = static_cast<int64_t>(*at) - static_cast<int64_t>(now);
    return std::chrono::milliseconds(std::max<int64_t>(0, delta) * 1000);
  }
  return std::nullopt;
}

std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds base, double jitter) {
  int doublings = std::clamp(attempt - 1, 0, 30);
  auto raw = std::min<int64_t>(base.count() << std::min(doublings, 20), max_backoff.count());
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(raw) * (1.0 - 0.25 * jitter)));
}

retry_decision decide_retry(const provider_reply& r, int attempt, int max_attempts, std::chrono::milliseconds remaining,
                            std::chrono::milliseconds base, double jitter, std::time_t now) {
  retry_decision d;
  if (classify_attempt(r) != attempt_kind::retryable || attempt >= max_attempts) return d;
  auto hint = retry_hint(r.retry_after_ms, r.retry_after, now);
  auto wait = hint ? *hint : backoff(attempt, base, jitter);
  if (wait >= remaining) {
    d.gave_up = hint ? "the provider asked to retry after " + std::to_string(wait.count() / 1000) +
                           " s, past the task's deadline"
                     : "the task's deadline does not leave time for another attempt";
    return d;
  }
  d.retry = true;
  d.delay = wait;
  return d;
}

}  // namespace trainia::ai
