// Fault tests (issue #7 part 4): a poisoned message — one that makes the
// receiving actor throw every time it is handled (the test hook behind
// X-Trainia-Fault: crash-session, enabled only with TRAINIA_TEST_HOOKS). The
// actor is isolated and replaced, the poisoned request fails once with 500,
// it is never re-delivered (restarts == poisoned requests, no restart loop
// while nobody asks), and other users never notice. (One crash and its
// metrics and /admin/actors entry are in supervision_test.cpp.)
#include "integration/server_fixture.hpp"
#include "support/pg.hpp"
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace trainia::test;
using namespace std::chrono_literals;

namespace {

const std::string profile = "/api/users/profile";

double restarts(trainia_server& s) {
  return parse_prometheus(s.admin().get("/metrics").body)
    .value_or_zero("trainia_actor_restarts_total", {{"actor", "user_session"}});
}

}  // namespace

TEST_CASE("fault: a poisoned message fails its request once, is never retried, and costs one restart each",
          "[integration][fault][supervision]") {
  trainia_server s({.env = {{"TRAINIA_RATE_LIMIT_PER_SECOND", "100000"}, {"TRAINIA_RATE_LIMIT_BURST", "100000"}}});
  auto c = s.client();
  REQUIRE(c.put_json(profile, {{"full_name", "Victim"}}, s.auth("user_victim")).status == 200);
  REQUIRE(restarts(s) == 0);
  auto before = table_digest(s.database_url(), {"user_profiles"});

  std::atomic<bool> stop{false};
  std::atomic<int> others_ok{0}, others_bad{0};
  std::thread bystanders([&] {
    auto bc = s.client();
    for (int i = 0; !stop; ++i) {
      auto r = bc.get(profile, s.auth("user_bystander_" + std::to_string(i % 3)));
      (r.status == 200 ? others_ok : others_bad)++;
    }
  });

  constexpr int poisoned = 5;
  auto poison = s.auth("user_victim");
  poison.emplace_back("X-Trainia-Fault", "crash-session");
  for (int i = 0; i < poisoned; ++i) {
    auto r = c.get(profile, poison);
    CHECK(r.status == 500);
    CHECK(r.json()["error"]["code"] == "internal");
    CHECK(r.json()["error"]["message"] == "internal error");
    CHECK(r.body.find("injected") == std::string::npos);
    // Between poisonings the victim is served by a fresh actor, with its data.
    auto ok = c.get(profile, s.auth("user_victim"));
    CHECK(ok.status == 200);
    CHECK(ok.json()["full_name"] == "Victim");
  }
  // The supervisor counts a restart when the crashed actor's down message
  // reaches it, which may be just after the 500 went out.
  for (int i = 0; i < 100 && restarts(s) < poisoned; ++i) std::this_thread::sleep_for(20ms);
  CHECK(restarts(s) == poisoned);  // one per poisoned request: none was re-delivered or retried
  // Nobody asks any more: the count stays put (the message is not re-delivered).
  std::this_thread::sleep_for(1500ms);
  CHECK(restarts(s) == poisoned);
  stop = true;
  bystanders.join();
  CHECK(others_ok > 0);
  CHECK(others_bad == 0);
  CHECK(table_digest(s.database_url(), {"user_profiles"}) == before);
  CHECK(s.process().running());
  CHECK(s.admin().get("/readyz").status == 200);
}

TEST_CASE("fault: without test hooks the poison header is an ordinary header", "[integration][fault][supervision]") {
  trainia_server s({.env = {{"TRAINIA_TEST_HOOKS", "false"}}});
  auto h = s.auth("user_plain");
  h.emplace_back("X-Trainia-Fault", "crash-session");
  auto r = s.client().get(profile, h);
  CHECK(r.status == 200);
  CHECK(r.json()["user_id"] == "user_plain");
  CHECK(parse_prometheus(s.admin().get("/metrics").body)
          .value_or_zero("trainia_actor_restarts_total", {{"actor", "user_session"}}) == 0);
}

TEST_CASE("fault: a request that finds its user's crashed session still listed gets a fresh session, not a 503",
          "[integration][fault][supervision]") {
  // A crashed session unlists itself as it terminates, which a busy machine
  // can delay past a client's next request (seen in CI). The test hook
  // leaves it listed for good: the next request must still be served.
  trainia_server s;
  auto c = s.client();
  auto user = s.auth("user_stale_entry");
  REQUIRE(c.put_json(profile, {{"full_name", "Before"}}, user).status == 200);
  auto poison = user;
  poison.emplace_back("X-Trainia-Fault", "crash-session-listed");
  auto crashed = c.get(profile, poison);
  REQUIRE(crashed.status == 500);
  CHECK(crashed.json()["error"]["code"] == "internal");

  // A write goes to the session actor (a read could be served from the
  // published profile without asking it).
  auto after = c.put_json(profile, {{"full_name", "After"}}, user);
  CHECK(after.status == 200);
  CHECK(after.json()["full_name"] == "After");
  pg db(s.database_url());
  CHECK(db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_stale_entry'") == "After");
  for (int i = 0; i < 100 && restarts(s) < 1; ++i) std::this_thread::sleep_for(20ms);
  CHECK(restarts(s) == 1);
}
