#include "ai/retry_policy.hpp"

#include <catch2/catch.hpp>

using namespace trainia::ai;
using std::chrono::milliseconds;

namespace {

provider_reply reply(int status, std::string body = "", std::string retry_after = "", std::string retry_after_ms = "") {
  provider_reply r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  r.retry_after_ms = std::move(retry_after_ms);
  return r;
}

const std::string rate_limited =
    R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})";
const std::string no_quota =
    R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})";
const std::time_t now = 1764000000;  // 2025-11-24T16:00:00Z

}  // namespace

TEST_CASE("attempts are classified as the provider contract says", "[ai][retry]") {
  CHECK(classify_attempt(reply(200)) == attempt_kind::success);
  CHECK(classify_attempt(reply(429, rate_limited)) == attempt_kind::retryable);
  CHECK(classify_attempt(reply(429, "not json")) == attempt_kind::retryable);
  CHECK(classify_attempt(reply(429, no_quota)) == attempt_kind::fatal);
  for (int s : {408, 409, 500, 502, 503, 504, 599}) CHECK(classify_attempt(reply(s)) == attempt_kind::retryable);
  for (int s : {400, 401, 403, 404, 413, 422}) CHECK(classify_attempt(reply(s)) == attempt_kind::fatal);
  provider_reply timeout;
  timeout.timed_out = true;
  CHECK(classify_attempt(timeout) == attempt_kind::retryable);
  CHECK(classify_attempt(provider_reply{}) == attempt_kind::retryable);  // refused, reset
  provider_reply cancelled;
  cancelled.cancelled = true;
  CHECK(classify_attempt(cancelled) == attempt_kind::cancelled);
}

TEST_CASE("retry hints: retry-after-ms wins, Retry-After in seconds or as an HTTP date", "[ai][retry]") {
  CHECK(retry_hint("1500", "30", now) == milliseconds(1500));
  CHECK(retry_hint("250.7", "", now) == milliseconds(250));
  CHECK(retry_hint("", "2", now) == milliseconds(2000));
  CHECK(retry_hint("", " 86400 ", now) == milliseconds(86400000));
  // 2025-11-24T16:00:07Z is 7 s after `now`; a date in the past means "now".
  CHECK(retry_hint("", "Mon, 24 Nov 2025 16:00:07 GMT", now) == milliseconds(7000));
  CHECK(retry_hint("", "Mon, 24 Nov 2025 15:00:00 GMT", now) == milliseconds(0));
  CHECK_FALSE(retry_hint("", "", now));
  CHECK_FALSE(retry_hint("soon", "later", now));
  CHECK_FALSE(retry_hint("-5", "-1", now));
}

TEST_CASE("back-off doubles from the base, is capped at 8 s and jittered down by at most a quarter", "[ai][retry]") {
  CHECK(backoff(1, milliseconds(500), 0.0) == milliseconds(500));
  CHECK(backoff(2, milliseconds(500), 0.0) == milliseconds(1000));
  CHECK(backoff(3, milliseconds(500), 0.0) == milliseconds(2000));
  CHECK(backoff(10, milliseconds(500), 0.0) == milliseconds(8000));
  CHECK(backoff(60, milliseconds(500), 0.0) == milliseconds(8000));
  CHECK(backoff(2, milliseconds(500), 0.999) >= milliseconds(750));
  CHECK(backoff(2, milliseconds(500), 0.999) < milliseconds(1000));
}

TEST_CASE("retry decisions honour hints, attempts and the deadline", "[ai][retry]") {
  auto base = milliseconds(100);
  auto plenty = milliseconds(60000);
  auto d = decide_retry(reply(429, rate_limited, "1"), 1, 3, plenty, base, 0.0, now);
  CHECK(d.retry);
  CHECK(d.delay == milliseconds(1000));
  d = decide_retry(reply(503), 2, 3, plenty, base, 0.0, now);
  CHECK(d.retry);
  CHECK(d.delay == milliseconds(200));
  // Out of attempts, or not retryable: deliver.
  CHECK_FALSE(decide_retry(reply(503), 3, 3, plenty, base, 0.0, now).retry);
  CHECK_FALSE(decide_retry(reply(400), 1, 3, plenty, base, 0.0, now).retry);
  CHECK_FALSE(decide_retry(reply(429, no_quota), 1, 3, plenty, base, 0.0, now).retry);
  CHECK(decide_retry(reply(400), 1, 3, plenty, base, 0.0, now).gave_up.empty());
  // A wait past the deadline is never slept: give up now, saying why.
  d = decide_retry(reply(429, rate_limited, "86400"), 1, 5, milliseconds(3000), base, 0.0, now);
  CHECK_FALSE(d.retry);
  CHECK(d.gave_up == "the provider asked to retry after 86400 s, past the task's deadline");
  d = decide_retry(reply(500), 1, 5, milliseconds(50), base, 0.0, now);
  CHECK_FALSE(d.retry);
  CHECK(d.gave_up == "the task's deadline does not leave time for another attempt");
}
