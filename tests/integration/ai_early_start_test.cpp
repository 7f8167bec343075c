// A task this process claims in its submit starts while the COMMIT that
// creates it is being flushed: the provider call overlaps the commit, the
// outcome is written only once the commit succeeded, and a task whose
// commit fails is dropped (no row, no run charged, its slot free again).
// The commit is made slow or failing by a deferred constraint trigger, which
// PostgreSQL runs inside COMMIT itself.
#include "ai/ai_fixture.hpp"
#include "support/pg.hpp"
#include "support/poll.hpp"
#include "support/prometheus.hpp"

#include <atomic>
#include <future>

using namespace trainia::test;
using namespace trainia::test::ai;

namespace {

/// Makes COMMIT sleep 1.5 s for a task whose prompt starts with "slow commit"
/// (or is the test hook that crashes a worker), and fail after 1 s for one
/// whose prompt or system message is "fail at commit".
void install_commit_hook(const std::string& url) {
  pg admin(url);
  admin.exec(R"sql(
    CREATE FUNCTION test_commit_hook() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.input->>'prompt' = 'fail at commit' OR NEW.input->>'system' = 'fail at commit' THEN
        PERFORM pg_sleep(1);  -- the provider call begins meanwhile
        RAISE EXCEPTION 'refused at commit by the test';
      END IF;
      IF NEW.input->>'prompt' LIKE 'slow commit%' OR NEW.input->>'prompt' = '__trainia_test_crash_worker__' THEN
        PERFORM pg_sleep(1.5);
      END IF;
      RETURN NULL;
    END $$)sql");
  admin.exec(
    "CREATE CONSTRAINT TRIGGER test_commit_hook AFTER INSERT ON ai_tasks DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION test_commit_hook()");
}

int64_t tasks_with_prompt(const std::string& url, const std::string& prompt) {
  pg db(url);
  return db.count("SELECT count(*) FROM ai_tasks WHERE input->>'prompt' = $1", {prompt});
}

size_t calls_with_prompt(const fake_http_server& fake, const std::string& prompt) {
  size_t n = 0;
  for (const auto& r : fake.requests()) n += r.path() == chat_path && prompt_of(r) == prompt ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a claimed task's provider call runs while its COMMIT is flushed, and its outcome is written after it",
          "[integration][ai][early]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) { return json_reply(200, completion("re " + prompt_of(r))); });
  trainia_server s({.env = provider_env(fake)});
  install_commit_hook(s.database_url());
  auto c = s.client();
  auto a = s.auth("user_early_slow");
  REQUIRE(submit(c, a, {{"prompt", "warm-up"}}, "?wait=10").status == 200);

  std::atomic<bool> answered{false};
  auto pending = std::async(std::launch::async, [&] {
    auto c2 = s.client();
    auto r = submit(c2, a, {{"prompt", "slow commit 1"}}, "?wait=10");
    answered = true;
    return r;
  });
  // The provider is called while the submit's COMMIT still sleeps: the row
  // is not committed yet (other sessions do not see it), the submit not answered.
  REQUIRE(fake.wait_for("POST", chat_path, 2, 5s));
  CHECK(tasks_with_prompt(s.database_url(), "slow commit 1") == 0);
  CHECK_FALSE(answered.load());
  CHECK(calls_with_prompt(fake, "slow commit 1") == 1);
  auto r = pending.get();
  REQUIRE(r.status == 200);
  auto task = r.json();
  CHECK(task["status"] == "succeeded");
  CHECK(task["result"]["content"] == "re slow commit 1");
  CHECK(task["attempts"] == 1);
  // Stored once, called once, one run charged for each of the two tasks.
  pg db(s.database_url());
  CHECK(db.scalar("SELECT status FROM ai_tasks WHERE id = $1", {task["task_id"].get<std::string>()}) == "succeeded");
  CHECK(tasks_with_prompt(s.database_url(), "slow commit 1") == 1);
  CHECK(fake.count("POST", chat_path) == 2);
  CHECK(runs_used(s.database_url(), "user_early_slow") == 2);
}

TEST_CASE("a task whose COMMIT fails is dropped: no row, no run charged, and its slot runs the next task",
          "[integration][ai][early]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) {
    auto reply = json_reply(200, completion("re " + prompt_of(r)));
    if (prompt_of(r) == "fail at commit") reply.delay = 5s;  // still running when the commit fails
    return reply;
  });
  // One call at a time: the next task runs only if the dropped one's slot came back.
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}})});
  install_commit_hook(s.database_url());
  auto c = s.client();
  auto a = s.auth("user_early_fail");
  REQUIRE(submit(c, a, {{"prompt", "warm-up"}}, "?wait=10").status == 200);
  REQUIRE(runs_used(s.database_url(), "user_early_fail") == 1);

  auto r = submit(c, a, {{"prompt", "fail at commit"}}, "?wait=10");
  CHECK(r.status == 500);
  CHECK(r.json()["error"]["code"] == "internal");
  CHECK(r.body.find("refused at commit") == std::string::npos);
  CHECK(r.body.find("ai_tasks") == std::string::npos);
  CHECK(tasks_with_prompt(s.database_url(), "fail at commit") == 0);
  CHECK(runs_used(s.database_url(), "user_early_fail") == 1);
  // Its call had begun while the COMMIT ran.
  CHECK(calls_with_prompt(fake, "fail at commit") == 1);

  // The dropped run gave its slot back at once (its 5 s call was abandoned):
  // the next task runs and finishes well before that call would have ended.
  auto next = submit(c, a, {{"prompt", "after the failure"}}, "?wait=3");
  REQUIRE(next.status == 200);
  CHECK(next.json()["status"] == "succeeded");
  CHECK(next.json()["result"]["content"] == "re after the failure");
  CHECK(runs_used(s.database_url(), "user_early_fail") == 2);
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE status IN ('queued', 'running')") == 0);
}

TEST_CASE("a worker that crashes before its task's COMMIT ended runs the task again once it committed",
          "[integration][ai][early]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) { return json_reply(200, completion("re " + prompt_of(r))); });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "2"}})});
  install_commit_hook(s.database_url());
  auto c = s.client();
  // The worker throws as it starts the task, while the COMMIT still sleeps:
  // a claim could not see the row yet. Once the COMMIT succeeded the task is
  // claimed again at once (not after its lease ran out) and succeeds.
  auto r = submit(c, s.auth("user_early_crash"), {{"prompt", "__trainia_test_crash_worker__"}}, "?wait=15");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "succeeded");
  CHECK(t["attempts"] == 2);  // the crashed run counts
  CHECK(calls_with_prompt(fake, "__trainia_test_crash_worker__") == 1);
  auto m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_actor_restarts_total", {{"actor", "ai_worker"}}) == 1);
  // Its slot is free again: another task runs.
  auto next = submit(c, s.auth("user_early_crash"), {{"prompt", "after the crash"}}, "?wait=10");
  REQUIRE(next.status == 200);
  CHECK(next.json()["status"] == "succeeded");
}

TEST_CASE("a worker that crashes before its task's COMMIT failed gives the slot back, the task is not run again",
          "[integration][ai][early]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) { return json_reply(200, completion("re " + prompt_of(r))); });
  // One slot: the next task runs only if the crashed, dropped one gave it back.
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}})});
  install_commit_hook(s.database_url());
  auto c = s.client();
  auto a = s.auth("user_early_crash_fail");
  REQUIRE(submit(c, a, {{"prompt", "warm-up"}}, "?wait=10").status == 200);

  // The worker throws as it starts the task; then the COMMIT fails.
  auto r = submit(c, a, {{"prompt", "__trainia_test_crash_worker__"}, {"system", "fail at commit"}}, "?wait=10");
  CHECK(r.status == 500);
  CHECK(r.json()["error"]["code"] == "internal");
  CHECK(tasks_with_prompt(s.database_url(), "__trainia_test_crash_worker__") == 0);
  CHECK(runs_used(s.database_url(), "user_early_crash_fail") == 1);
  CHECK(calls_with_prompt(fake, "__trainia_test_crash_worker__") == 0);
  auto m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_actor_restarts_total", {{"actor", "ai_worker"}}) == 1);

  auto next = submit(c, a, {{"prompt", "after the crash"}}, "?wait=3");
  REQUIRE(next.status == 200);
  CHECK(next.json()["status"] == "succeeded");
  CHECK(runs_used(s.database_url(), "user_early_crash_fail") == 2);
  CHECK(calls_with_prompt(fake, "__trainia_test_crash_worker__") == 0);  // never reclaimed
}
