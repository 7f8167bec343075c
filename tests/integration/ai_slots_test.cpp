// ai.concurrency bounds the provider calls in flight, not the database
// writes after them: a task's slot goes to the next task as soon as its
// provider call ends, while its outcome is still being committed.
#include "ai/ai_fixture.hpp"
#include "support/pg.hpp"

#include <atomic>
#include <thread>
#include <vector>

using namespace trainia::test;
using namespace trainia::test::ai;

TEST_CASE("a task's slot serves the next task while the first one's outcome waits to be committed",
          "[integration][ai][slots]") {
  fake_http_server fake;
  // the second is submitted meanwhile
  answer_slow_prompt(fake, "first", 700ms);
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}})});
  auto c = s.client();
  auto a = s.auth("user_slot_first");
  auto b = s.auth("user_slot_second");

  auto first = submit(c, a, {{"prompt", "first"}});
  REQUIRE(first.status == 202);
  auto first_id = first.json()["task_id"].get<std::string>();
  REQUIRE(fake.wait_for("POST", chat_path, 1, 5s));
  // Hold the first task's row: its outcome cannot be committed until we let go.
  pg locker(s.database_url());
  locker.exec("BEGIN");
  REQUIRE(locker.count("SELECT count(*) FROM (SELECT 1 FROM ai_tasks WHERE id = $1 FOR UPDATE) x", {first_id}) == 1);

  // The only slot is the first task's while its call runs: the second queues.
  auto second = submit(c, b, {{"prompt", "second"}});
  REQUIRE(second.status == 202);
  auto second_id = second.json()["task_id"].get<std::string>();

  // Once the first call ends, the second runs and finishes although the
  // first task's end is still not written.
  auto t2 = await_task(c, b, second_id, 10s);
  CHECK(t2["status"] == "succeeded");
  CHECK(t2["result"]["content"] == "answer to second");
  CHECK(fake.count("POST", chat_path) == 2);
  auto t1 = c.get("/api/ai/tasks/" + first_id, a).json();
  CHECK(t1["status"] == "running");
  pg reader(s.database_url());
  CHECK(reader.scalar("SELECT status FROM ai_tasks WHERE id = $1", {first_id}) == "running");

  // Let go: the first task's outcome commits, nothing ran twice.
  locker.exec("COMMIT");
  auto done = await_task(c, a, first_id, 10s);
  CHECK(done["status"] == "succeeded");
  CHECK(done["result"]["content"] == "answer to first");
  CHECK(done["attempts"] == 1);
  CHECK(fake.count("POST", chat_path) == 2);
}

TEST_CASE("a process claims half as many tasks ahead as ai.concurrency, and those tasks wait for a call to end",
          "[integration][ai][slots]") {
  fake_http_server fake;
  answer_prompts_after(fake, 1500ms);  // long enough that no call ends while the state is read
  // Four calls at once, two tasks claimed ahead of them.
  trainia_server s(
    {.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "4"}, {"TRAINIA_AI_CALL_TIMEOUT_MS", "10000"}})});
  auto c = s.client();
  auto a = s.auth("user_claim_ahead");
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    auto r = submit(c, a, {{"prompt", "task " + std::to_string(i)}});
    REQUIRE(r.status == 202);
    ids.push_back(r.json()["task_id"].get<std::string>());
  }
  REQUIRE(fake.wait_for("POST", chat_path, 4, 5s));
  // While the four calls run: two more tasks are claimed (running, leased by
  // this process) but not called, the last two are still queued.
  std::this_thread::sleep_for(300ms);
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE status = 'running' AND lease_owner IS NOT NULL") == 6);
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE status = 'queued'") == 2);
  CHECK(fake.count("POST", chat_path) == 4);  // no fifth call while four run
  // Everything runs once, never more than four calls at a time.
  for (const auto& id : ids) {
    auto t = await_task(c, a, id, 15s);
    CHECK(t["status"] == "succeeded");
    CHECK(t["attempts"] == 1);
  }
  CHECK(fake.count("POST", chat_path) == 8);
}

TEST_CASE("a task claimed ahead keeps its deadline while it waits for a call to end", "[integration][ai][slots]") {
  fake_http_server fake;
  answer_prompts_after(fake, 1000ms);
  // Two calls at a time, one task claimed ahead of them; each task may take 1.5 s.
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "2"},
                                              {"TRAINIA_AI_TASK_DEADLINE_MS", "1500"},
                                              {"TRAINIA_AI_MAX_ATTEMPTS", "1"}})});
  auto c = s.client();
  auto a = s.auth("user_claim_deadline");
  auto first = submit(c, a, {{"prompt", "first"}});
  auto other = submit(c, a, {{"prompt", "other"}});
  auto second = submit(c, a, {{"prompt", "second"}});
  REQUIRE(first.status == 202);
  REQUIRE(other.status == 202);
  REQUIRE(second.status == 202);
  auto t1 = await_task(c, a, first.json()["task_id"].get<std::string>(), 10s);
  CHECK(t1["status"] == "succeeded");
  CHECK(await_task(c, a, other.json()["task_id"].get<std::string>(), 10s)["status"] == "succeeded");
  // The third waited ~1 s for a call to end: ~0.5 s of its 1.5 s were left,
  // less than its call takes, so it fails by its deadline instead of running
  // a full 1.5 s from the moment it started.
  auto t2 = await_task(c, a, second.json()["task_id"].get<std::string>(), 10s);
  CHECK(t2["status"] == "failed");
  pg db(s.database_url());
  auto took_ms = db.count("SELECT (extract(epoch FROM finished_at - created_at) * 1000)::bigint FROM ai_tasks WHERE id = $1",
                          {t2["task_id"].get<std::string>()});
  CHECK(took_ms < 2000);
}

TEST_CASE("a burst of submits runs through without waiting for the poll interval: no wake-up is lost",
          "[integration][ai][slots]") {
  fake_http_server fake;
  answer_prompts_after(fake, 50ms);
  // The periodic poll is a minute away: only the pipeline's own wake-ups (a
  // submit, a call that ended) can move the queue. The task counts refresh
  // every 100 ms meanwhile (they also reset the queue hint).
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "4"},
                                               {"TRAINIA_AI_POLL_INTERVAL_MS", "60000"},
                                               {"TRAINIA_AI_METRICS_INTERVAL_MS", "100"}})});
  constexpr int submitters = 6, each = 15;
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&s, &accepted, t] {
      auto c = s.client();
      auto a = s.auth("user_burst_" + std::to_string(t));
      for (int i = 0; i < each; ++i)
        if (submit(c, a, {{"prompt", "burst " + std::to_string(t) + "/" + std::to_string(i)}}).status == 202)
          ++accepted;
    });
  for (auto& th : threads) th.join();
  REQUIRE(accepted == submitters * each);
  // 90 calls of 50 ms, four at a time: ~1.2 s of calls. A lost wake-up leaves
  // tasks queued until the minute's poll.
  pg db(s.database_url());
  auto end = std::chrono::steady_clock::now() + 20s;
  int64_t unfinished = -1;
  while (std::chrono::steady_clock::now() < end) {
    unfinished = db.count("SELECT count(*) FROM ai_tasks WHERE status IN ('queued', 'running')");
    if (unfinished == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(unfinished == 0);
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE status = 'succeeded'") == submitters * each);
  CHECK(fake.count("POST", chat_path) == submitters * each);
}

TEST_CASE("a task queued while every slot was busy runs once its commit ends, though the calls ended before it",
          "[integration][ai][slots]") {
  // The submit finds no free slot and queues its task; while its transaction
  // waits (here for a row lock), the only running call ends and nothing is
  // left to look at the queue. What wakes the dispatcher is the queued task's
  // announcement after COMMIT (a NOTIFY this process hears too): the
  // periodic poll is a minute away.
  fake_http_server fake;
  answer_slow_prompt(fake, "long", 600ms);
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"},
                                               {"TRAINIA_AI_POLL_INTERVAL_MS", "60000"}})});
  auto c = s.client();
  auto a = s.auth("user_wake_running");
  auto b = s.auth("user_wake_queued");
  // The queued user's usage row exists (its first task ran), so the lock below has a row to hold.
  auto warm = submit(c, b, {{"prompt", "warm"}}, "?wait=10");
  REQUIRE(warm.status == 200);
  REQUIRE(warm.json()["status"] == "succeeded");

  auto first = submit(c, a, {{"prompt", "long"}});
  REQUIRE(first.status == 202);
  auto first_id = first.json()["task_id"].get<std::string>();
  REQUIRE(fake.wait_for("POST", chat_path, 2, 5s));

  pg locker(s.database_url());
  locker.exec("BEGIN");
  REQUIRE(locker.count("SELECT count(*) FROM (SELECT 1 FROM usage_counters u JOIN user_profiles p ON p.id = u.user_id "
                       "WHERE p.clerk_user_id = 'user_wake_queued' FOR UPDATE OF u) x") == 1);
  http_response second;
  std::thread submitter([&] {
    auto c2 = s.client();
    second = submit(c2, b, {{"prompt", "second"}});
  });
  // The submit has taken no slot (the long call holds it) and waits for the lock.
  pg reader(s.database_url());
  const char* waiting =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
  auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until &&
         reader.count(waiting) == 0)
    std::this_thread::sleep_for(10ms);
  REQUIRE(reader.count(waiting) == 1);
  // The long call ends and its task is written while the submit still waits.
  auto t1 = await_task(c, a, first_id, 10s);
  REQUIRE(t1["status"] == "succeeded");
  std::this_thread::sleep_for(200ms);
  locker.exec("COMMIT");
  submitter.join();
  REQUIRE(second.status == 202);
  auto second_id = second.json()["task_id"].get<std::string>();
  auto t2 = await_task(c, b, second_id, 5s);
  CHECK(t2["status"] == "succeeded");
  CHECK(t2["result"]["content"] == "answer to second");
  CHECK(fake.count("POST", chat_path) == 3);
}

TEST_CASE("tasks announced while every slot is busy run as soon as a slot frees, not at the next periodic poll",
          "[integration][ai][slots]") {
  // Another process queued tasks (here: rows written directly, then the
  // NOTIFY such a process sends) while this one's only slot runs a long
  // call. The wake-up finds no free slot; the queue must still be looked at
  // when the call ends, though this process counted none of those tasks.
  fake_http_server fake;
  answer_slow_prompt(fake, "long", 600ms);
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"},
                                               {"TRAINIA_AI_POLL_INTERVAL_MS", "60000"},
                                               {"TRAINIA_AI_METRICS_INTERVAL_MS", "600000"}})});
  auto c = s.client();
  auto a = s.auth("user_owed_running");
  auto b = s.auth("user_owed_other");
  auto warm = submit(c, b, {{"prompt", "elsewhere"}}, "?wait=10");
  REQUIRE(warm.status == 200);
  auto warm_id = warm.json()["task_id"].get<std::string>();

  auto first = submit(c, a, {{"prompt", "long"}});
  REQUIRE(first.status == 202);
  REQUIRE(fake.wait_for("POST", chat_path, 2, 5s));
  pg other(s.database_url());
  auto ids = other.query(
    "INSERT INTO ai_tasks (user_id, status, input, model, max_attempts, deadline_at) "
    "SELECT user_id, 'queued', input, model, max_attempts, now() + interval '1 minute' "
    "FROM ai_tasks, generate_series(1, 3) WHERE id = $1 RETURNING id::text",
    {warm_id});
  REQUIRE(ids.size() == 3);
  other.exec("SELECT pg_notify('trainia_ai_queued', '')");

  pg db(s.database_url());
  auto end = std::chrono::steady_clock::now() + 10s;
  int64_t done = 0;
  while (std::chrono::steady_clock::now() < end) {
    done = db.count("SELECT count(*) FROM ai_tasks WHERE status = 'succeeded' AND id::text IN ($1, $2, $3)",
                    {ids[0][0], ids[1][0], ids[2][0]});
    if (done == 3) break;
    std::this_thread::sleep_for(25ms);
  }
  CHECK(done == 3);
  CHECK(fake.count("POST", chat_path) == 5);
}
