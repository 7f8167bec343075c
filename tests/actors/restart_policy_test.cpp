#include "actors/restart_policy.hpp"
#include "actors/token_bucket.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using trainia::restart_policy;
using trainia::restart_tracker;

TEST_CASE("restart back-off doubles from the initial delay up to the cap", "[actors]") {
  restart_tracker t(restart_policy{10, 30s, 20ms, 100ms, false});
  auto now = std::chrono::steady_clock::now();
  CHECK(t.on_failure(now).delay == 20ms);
  CHECK(t.on_failure(now).delay == 40ms);
  CHECK(t.on_failure(now).delay == 80ms);
  CHECK(t.on_failure(now).delay == 100ms);
  CHECK(t.on_failure(now).delay == 100ms);
  CHECK(t.restarts_in_window() == 5);
}

TEST_CASE("a quiet window resets the back-off", "[actors]") {
  restart_tracker t(restart_policy{10, 1s, 20ms, 1000ms, false});
  auto now = std::chrono::steady_clock::now();
  t.on_failure(now);
  t.on_failure(now);
  CHECK(t.on_failure(now + 2s).delay == 20ms);
  CHECK(t.restarts_in_window() == 1);
}

TEST_CASE("over budget: escalate gives up, otherwise keeps restarting at the cap", "[actors]") {
  auto now = std::chrono::steady_clock::now();
  restart_tracker esc(restart_policy{2, 30s, 10ms, 50ms, true});
  CHECK_FALSE(esc.on_failure(now).give_up);
  CHECK_FALSE(esc.on_failure(now).give_up);
  CHECK(esc.on_failure(now).give_up);
  restart_tracker keep(restart_policy{2, 30s, 10ms, 50ms, false});
  keep.on_failure(now);
  keep.on_failure(now);
  auto d = keep.on_failure(now);
  CHECK_FALSE(d.give_up);
  CHECK(d.delay == 50ms);
}

TEST_CASE("token bucket allows the burst, then the refill rate", "[actors]") {
  trainia::token_bucket b(10.0, 3.0);
  auto t0 = std::chrono::steady_clock::now();
  int retry = 0;
  CHECK(b.take(t0, retry));
  CHECK(b.take(t0, retry));
  CHECK(b.take(t0, retry));
  CHECK_FALSE(b.take(t0, retry));
  CHECK(retry == 1);
  CHECK(b.take(t0 + 100ms, retry));       // one token refilled
  CHECK_FALSE(b.take(t0 + 100ms, retry));
  CHECK(b.take(t0 + 10s, retry));         // refill is capped at the burst
  CHECK(b.take(t0 + 10s, retry));
  CHECK(b.take(t0 + 10s, retry));
  CHECK_FALSE(b.take(t0 + 10s, retry));
  trainia::token_bucket slow(0.1, 1.0);
  CHECK(slow.take(t0, retry));
  CHECK_FALSE(slow.take(t0, retry));
  CHECK(retry == 10);
}
