// Admission of AI submits, in the contract's order: validation, the plan's
// monthly quota (402), the user's in-flight limit (429), the queue (503).
#include "ai/ai_fixture.hpp"

#include <atomic>

using namespace trainia::test;
using namespace trainia::test::ai;

TEST_CASE("the plan's quota: 402 with {plan, limit, used} once the runs are used up", "[integration][ai][quota]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("ok")); });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_PLANS_FILE", plans_file(2, 5)}})});
  auto c = s.client();
  auto a = s.auth("user_quota");
  CHECK(submit(c, a, {{"prompt", "one"}}, "?wait=10").status == 200);
  CHECK(submit(c, a, {{"prompt", "two"}}, "?wait=10").status == 200);
  auto r = submit(c, a, {{"prompt", "three"}});
  REQUIRE(r.status == 402);
  auto e = r.json()["error"];
  CHECK(e["code"] == "quota_exceeded");
  CHECK(e["details"] == json{{"plan", "free"}, {"limit", 2}, {"used", 2}});
  CHECK(fake.count("POST", chat_path) == 2);
  // Validation is checked before the quota.
  CHECK(submit(c, a, {{"prompt", ""}}).status == 400);
  CHECK(runs_used(s.database_url(), "user_quota") == 2);
}

TEST_CASE("five concurrent submits with one run left: exactly one is accepted, across two processes too",
          "[integration][ai][quota]") {
  fake_http_server fake;
  answer_after(fake, 200ms, "ok");
  auto env = provider_env(fake, {{"TRAINIA_PLANS_FILE", plans_file(3, 10)}});
  trainia_server a(server_options{.env = env});
  auto env_b = env;
  trainia_server b(server_options{.env = env_b, .database_url = a.database_url()});
  for (auto* srv : {&a, &b}) {
    auto c = srv->client();
    CHECK(c.get("/api/users/profile", srv->auth("user_race")).status == 200);
  }
  // Two of the three runs used.
  auto c = a.client();
  CHECK(submit(c, a.auth("user_race"), {{"prompt", "warm-up 1"}}, "?wait=10").status == 200);
  CHECK(submit(c, a.auth("user_race"), {{"prompt", "warm-up 2"}}, "?wait=10").status == 200);

  std::atomic<int> accepted{0}, refused{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i)
    threads.emplace_back([&, i] {
      auto& srv = i % 2 ? b : a;
      auto cl = srv.client();
      auto auth = srv.auth("user_race");
      while (!go) std::this_thread::yield();
      auto r = submit(cl, auth, {{"prompt", "race " + std::to_string(i)}});
      if (r.status == 202)
        ++accepted;
      else if (r.status == 402)
        ++refused;
      else
        ++other;
    });
  go = true;
  for (auto& t : threads) t.join();
  CHECK(accepted == 1);
  CHECK(refused == 4);
  CHECK(other == 0);
  CHECK(runs_used(a.database_url(), "user_race") == 3);
}

TEST_CASE("a run that fails for a reason that is not the user's is given back", "[integration][ai][quota]") {
  fake_http_server fake;
  std::atomic<bool> broken{true};
  fake.on("POST", chat_path, [&](const recorded_request&) {
    if (broken) return provider_error(503, "The engine is currently overloaded.", "server_error", "");
    return json_reply(200, completion("recovered"));
  });
  trainia_server s(
      {.env = provider_env(fake, {{"TRAINIA_PLANS_FILE", plans_file(1, 5)}, {"TRAINIA_AI_MAX_ATTEMPTS", "2"}})});
  auto c = s.client();
  auto a = s.auth("user_refund");
  auto failed = submit(c, a, {{"prompt", "try"}}, "?wait=10");
  REQUIRE(failed.status == 200);
  CHECK(failed.json()["status"] == "failed");
  CHECK(runs_used(s.database_url(), "user_refund") == 0);
  broken = false;
  // The one run of the plan is available again.
  auto ok = submit(c, a, {{"prompt", "try again"}}, "?wait=10");
  REQUIRE(ok.status == 200);
  CHECK(ok.json()["status"] == "succeeded");
  CHECK(runs_used(s.database_url(), "user_refund") == 1);
  CHECK(submit(c, a, {{"prompt", "one more"}}).status == 402);
}

TEST_CASE("the user's in-flight limit: 429 with Retry-After while ai_max_concurrent tasks run",
          "[integration][ai][quota]") {
  fake_http_server fake;
  answer_after(fake, 1500ms, "slow");
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_PLANS_FILE", plans_file(100, 1)}})});
  auto c = s.client();
  auto a = s.auth("user_inflight");
  auto first = submit(c, a, {{"prompt", "first"}});
  REQUIRE(first.status == 202);
  auto second = submit(c, a, {{"prompt", "second"}});
  CHECK(second.status == 429);
  CHECK(second.json()["error"]["code"] == "rate_limited");
  CHECK(second.has_header("retry-after"));
  CHECK(runs_used(s.database_url(), "user_inflight") == 1);  // the refused one was not charged
  // Another user is not held up.
  CHECK(submit(c, s.auth("user_inflight_other"), {{"prompt", "other"}}).status == 202);
  await_task(c, a, first.json()["task_id"]);
  CHECK(submit(c, a, {{"prompt", "third"}}).status == 202);
}

TEST_CASE("a full queue answers 503 with Retry-After", "[integration][ai][quota]") {
  fake_http_server fake;
  answer_after(fake, 2000ms, "slow");
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}, {"TRAINIA_AI_QUEUE_LIMIT", "2"}})});
  auto c = s.client();
  // One runs, two wait in the queue; the fourth finds it full.
  CHECK(submit(c, s.auth("user_q1"), {{"prompt", "runs"}}).status == 202);
  CHECK(submit(c, s.auth("user_q2"), {{"prompt", "queued 1"}}).status == 202);
  CHECK(submit(c, s.auth("user_q3"), {{"prompt", "queued 2"}}).status == 202);
  auto full = submit(c, s.auth("user_q4"), {{"prompt", "no room"}});
  CHECK(full.status == 503);
  CHECK(full.json()["error"]["code"] == "service_unavailable");
  CHECK(full.has_header("retry-after"));
  CHECK(runs_used(s.database_url(), "user_q4") == 0);
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks") == 3);
  // The queue drains and all three finish.
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE status = 'queued'") == 2);
}

TEST_CASE("a submit creates the user's profile when there is none, also after the profile was deleted",
          "[integration][ai][quota]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("ok")); });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto a = s.auth("user_first_submit");
  pg db(s.database_url());
  REQUIRE(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_first_submit'") == 0);
  auto first = submit(c, a, {{"prompt", "one"}}, "?wait=10");
  REQUIRE(first.status == 200);
  CHECK(first.json()["status"] == "succeeded");
  auto old_id = db.scalar("SELECT id::text FROM user_profiles WHERE clerk_user_id = 'user_first_submit'");
  REQUIRE(old_id);
  CHECK(runs_used(s.database_url(), "user_first_submit") == 1);
  // A second submit finds the profile (no second row, the same counter).
  CHECK(submit(c, a, {{"prompt", "two"}}, "?wait=10").status == 200);
  CHECK(runs_used(s.database_url(), "user_first_submit") == 2);
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_first_submit'") == 1);

  // The profile goes (as user.deleted removes it, with all it owns) while the
  // server's session for the user lives on: the next submit makes a fresh one.
  db.exec("DELETE FROM user_profiles WHERE clerk_user_id = 'user_first_submit'");
  REQUIRE(runs_used(s.database_url(), "user_first_submit") == 0);
  auto again = submit(c, a, {{"prompt", "three"}}, "?wait=10");
  REQUIRE(again.status == 200);
  CHECK(again.json()["status"] == "succeeded");
  auto new_id = db.scalar("SELECT id::text FROM user_profiles WHERE clerk_user_id = 'user_first_submit'");
  REQUIRE(new_id);
  CHECK(*new_id != *old_id);
  CHECK(runs_used(s.database_url(), "user_first_submit") == 1);
  CHECK(db.count("SELECT count(*) FROM ai_tasks t JOIN user_profiles p ON p.id = t.user_id "
                 "WHERE p.clerk_user_id = 'user_first_submit'") == 1);
  CHECK(fake.count("POST", chat_path) == 3);
}
