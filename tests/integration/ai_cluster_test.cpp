// Several trainia processes share one queue in PostgreSQL: each task runs
// once between them, a killed process's leased tasks finish on another, and
// a starting process resumes the queue the database holds.
#include "ai/ai_fixture.hpp"
#include "support/prometheus.hpp"

#include <csignal>
#include <functional>
#include <mutex>
#include <set>

using namespace trainia::test;
using namespace trainia::test::ai;

namespace {

/// Provider calls per prompt, as the fake saw them.
std::map<std::string, int> calls_by_prompt(const fake_http_server& fake) {
  std::map<std::string, int> out;
  for (const auto& r : fake.requests()) ++out[prompt_of(r)];
  return out;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

double provider_attempts(trainia_server& s) {
  return parse_prometheus(s.admin().get("/metrics").body).value("trainia_ai_provider_duration_seconds_count");
}

}  // namespace

TEST_CASE("two processes on one database share the queue: 200 tasks, each run exactly once",
          "[integration][ai][cluster]") {
  fake_http_server fake;
  // Calls slow enough that `a` (4 calls at a time) cannot keep up with the
  // submits even when they are slow (ASan: ~40 ms each; with 20 ms calls `a`
  // ran all 200 there and `b` none): the queue grows and `b` takes from it.
  fake.on("POST", chat_path, [](const recorded_request& r) {
    auto res = json_reply(200, completion("done: " + prompt_of(r)));
    res.delay = 300ms;
    return res;
  });
  auto env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "4"}, {"TRAINIA_AI_QUEUE_LIMIT", "1000"}});
  trainia_server a(server_options{.env = env});
  trainia_server b(server_options{.env = env, .database_url = a.database_url()});
  // Every task is submitted to `a`: whatever `b` runs it took from the shared queue.
  auto c = a.client();
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    auto r = submit(c, a.auth("user_bulk_" + std::to_string(i % 4)), {{"prompt", "task-" + std::to_string(i)}});
    REQUIRE(r.status == 202);
    ids.insert(r.json()["task_id"].get<std::string>());
  }
  CHECK(ids.size() == 200);
  pg db(a.database_url());
  REQUIRE(wait_until([&] { return db.count("SELECT count(*) FROM ai_tasks WHERE status = 'succeeded'") == 200; }, 60s));
  auto calls = calls_by_prompt(fake);
  CHECK(calls.size() == 200);
  int duplicates = 0;
  for (const auto& [prompt, n] : calls) duplicates += n != 1;
  CHECK(duplicates == 0);
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE attempts = 1 AND claims = 1 AND lease_owner IS NULL") == 200);
  auto ran_a = provider_attempts(a), ran_b = provider_attempts(b);
  CHECK(ran_a + ran_b == 200);
  CHECK(ran_a > 0);
  CHECK(ran_b > 0);
}

TEST_CASE("a process killed mid-way: its leased tasks finish on the other one", "[integration][ai][cluster]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) {
    auto res = json_reply(200, completion("done: " + prompt_of(r)));
    res.delay = 600ms;
    return res;
  });
  auto env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "3"}, {"TRAINIA_AI_LEASE_SECONDS", "2"}});
  trainia_server a(server_options{.env = env});
  trainia_server b(server_options{.env = env, .database_url = a.database_url()});
  auto c = a.client();
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    auto r = submit(c, a.auth("user_kill_" + std::to_string(i % 3)), {{"prompt", "job-" + std::to_string(i)}});
    REQUIRE(r.status == 202);
    ids.push_back(r.json()["task_id"]);
  }
  pg db(a.database_url());
  // Wait until `a` holds leases, then kill it without a chance to clean up.
  auto a_owner = "%:" + std::to_string(a.process().pid()) + ":%";
  REQUIRE(wait_until([&] { return db.count("SELECT count(*) FROM ai_tasks WHERE lease_owner LIKE $1", {a_owner}) > 0; },
                     10s));
  auto held = db.query("SELECT id FROM ai_tasks WHERE status = 'running' AND lease_owner LIKE $1", {a_owner});
  a.process().kill_hard();
  REQUIRE_FALSE(held.empty());
  bool all_done =
      wait_until([&] { return db.count("SELECT count(*) FROM ai_tasks WHERE status = 'succeeded'") == 12; }, 40s);
  if (!all_done) {
    for (const auto& row : db.query("SELECT status, attempts, claims, lease_owner, error_message FROM ai_tasks"))
      UNSCOPED_INFO(row["status"].value_or("")
                    << " attempts=" << row["attempts"].value_or("") << " claims=" << row["claims"].value_or("")
                    << " owner=" << row["lease_owner"].value_or("") << " error=" << row["error_message"].value_or(""));
    UNSCOPED_INFO(b.log().substr(b.log().size() > 3000 ? b.log().size() - 3000 : 0));
  }
  REQUIRE(all_done);
  // The tasks `a` held were taken over after their lease ran out: a second
  // claim (one may have finished on `a` just before the kill).
  int taken_over = 0;
  for (const auto& row : held) {
    auto id = row["id"].value();
    auto t = db.query("SELECT status, claims, attempts FROM ai_tasks WHERE id = $1", {id});
    CHECK(t[0]["status"] == "succeeded");
    CHECK(t[0]["claims"] == t[0]["attempts"]);
    taken_over += t[0]["claims"] == "2";
  }
  CHECK(taken_over >= 1);
  auto calls = calls_by_prompt(fake);
  CHECK(calls.size() == 12);
  for (const auto& [prompt, n] : calls) CHECK(n >= 1);
}

TEST_CASE("a starting process resumes the queue the database holds, and dead processes' tasks",
          "[integration][ai][cluster]") {
  fake_http_server fake;
  fake.on("POST", chat_path,
          [](const recorded_request& r) { return json_reply(200, completion("done: " + prompt_of(r))); });
  trainia_server s({.env = provider_env(fake)});
  REQUIRE(s.stop() == std::optional<int>(0));
  pg db(s.database_url());
  db.exec("INSERT INTO user_profiles (clerk_user_id) VALUES ('user_resume')");
  db.exec(
      "INSERT INTO ai_tasks (user_id, input, model, max_attempts) SELECT id, "
      "'{\"prompt\":\"waiting in the queue\",\"model\":\"gpt-4o-mini\"}', 'gpt-4o-mini', 3 FROM user_profiles");
  // A task a dead process was running: its lease has run out.
  db.exec(
      "INSERT INTO ai_tasks (user_id, input, model, max_attempts, status, lease_owner, lease_expires_at, attempts, "
      "claims) SELECT id, '{\"prompt\":\"orphaned\",\"model\":\"gpt-4o-mini\"}', 'gpt-4o-mini', 3, 'running', "
      "'gone:1:dead', now() - interval '1 minute', 1, 1 FROM user_profiles");
  s.start();
  REQUIRE(wait_until([&] { return db.count("SELECT count(*) FROM ai_tasks WHERE status = 'succeeded'") == 2; }, 10s));
  auto calls = calls_by_prompt(fake);
  CHECK(calls["waiting in the queue"] == 1);
  CHECK(calls["orphaned"] == 1);
  CHECK(db.scalar("SELECT attempts FROM ai_tasks WHERE input->>'prompt' = 'orphaned'") == "2");
  auto t = s.client().get("/api/ai/tasks?limit=5", s.auth("user_resume")).json();
  CHECK(t["tasks"].size() == 2);
}

TEST_CASE("a waited submit that another process runs is answered soon after it ends", "[integration][ai][cluster]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) {
    auto res = json_reply(200, completion("done: " + prompt_of(r)));
    if (prompt_of(r) == "blocks a's only worker") res.delay = 5000ms;
    return res;
  });
  trainia_server a(server_options{.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}})});
  auto c = a.client();
  REQUIRE(submit(c, a.auth("user_blocker"), {{"prompt", "blocks a's only worker"}}).status == 202);
  REQUIRE(fake.wait_for("POST", chat_path, 1, 5s));
  // b starts only now: started earlier, it could take the blocker itself
  // (a submit that finds no free worker yet is queued for any process).
  trainia_server b(server_options{.env = provider_env(fake), .database_url = a.database_url()});
  wait_for_listener(b);
  auto started = std::chrono::steady_clock::now();
  auto r = submit(c, a.auth("user_remote"), {{"prompt", "runs on b"}}, "?wait=20");
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(r.status == 200);
  CHECK(r.json()["status"] == "succeeded");
  CHECK(r.json()["result"]["content"] == "done: runs on b");
  CHECK(took < 3s);
  CHECK(provider_attempts(b) == 1);
}

TEST_CASE("a task queued by one process wakes an idle other one at once (NOTIFY), not at its next poll",
          "[integration][ai][cluster]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) {
    auto res = json_reply(200, completion("done: " + prompt_of(r)));
    if (prompt_of(r) == "keeps a busy") res.delay = 6000ms;
    return res;
  });
  trainia_server a(server_options{.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}})});
  auto c = a.client();
  REQUIRE(submit(c, a.auth("user_busy"), {{"prompt", "keeps a busy"}}).status == 202);
  REQUIRE(fake.wait_for("POST", chat_path, 1, 5s));
  // b starts only now, so the blocker surely runs on a. It looks
  // at the queue on its own only once a minute: only the notification can
  // make it take the task within the time checked below.
  trainia_server b(server_options{.env = provider_env(fake, {{"TRAINIA_AI_POLL_INTERVAL_MS", "60000"}}),
                                  .database_url = a.database_url()});
  wait_for_listener(b);
  std::this_thread::sleep_for(300ms);  // b's start-up poll is long over
  auto queued = submit(c, a.auth("user_woken"), {{"prompt", "wakes b"}});
  REQUIRE(queued.status == 202);
  CHECK(queued.json()["status"] == "queued");
  pg db(a.database_url());
  auto id = queued.json()["task_id"].get<std::string>();
  CHECK(wait_until([&] { return db.scalar("SELECT status FROM ai_tasks WHERE id = $1", {id}) == "succeeded"; }, 2s));
  CHECK(provider_attempts(b) == 1);
  CHECK(db.scalar("SELECT status FROM ai_tasks WHERE input->>'prompt' = 'keeps a busy'") == "running");
}
