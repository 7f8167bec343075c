// POST /api/ai/tasks/{id}/cancel: queued tasks at once, running ones by
// abandoning the provider call, finished ones 409.
#include "ai/ai_fixture.hpp"

using namespace trainia::test;
using namespace trainia::test::ai;

TEST_CASE("cancel a queued task: cancelled at once, never sent, its run given back", "[integration][ai][cancel]") {
  fake_http_server fake;
  answer_after(fake, 1500ms, "slow");
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "1"}})});
  auto c = s.client();
  auto busy = submit(c, s.auth("user_busy"), {{"prompt", "occupies the only worker"}});
  REQUIRE(busy.status == 202);
  auto a = s.auth("user_cq");
  auto queued = submit(c, a, {{"prompt", "never sent"}});
  REQUIRE(queued.status == 202);
  auto id = queued.json()["task_id"].get<std::string>();
  CHECK(runs_used(s.database_url(), "user_cq") == 1);
  auto r = c.request("POST", "/api/ai/tasks/" + id + "/cancel", "", a);
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["task_id"] == id);
  CHECK(t["status"] == "cancelled");
  CHECK(t["cancel_requested"] == true);
  CHECK(runs_used(s.database_url(), "user_cq") == 0);
  await_task(c, s.auth("user_busy"), busy.json()["task_id"]);
  std::this_thread::sleep_for(300ms);  // a poll would have picked it up by now
  CHECK(await_task(c, a, id)["status"] == "cancelled");
  for (const auto& req : fake.requests()) CHECK(prompt_of(req) != "never sent");
  // Cancelling it again: it has finished.
  auto again = c.request("POST", "/api/ai/tasks/" + id + "/cancel", "", a);
  CHECK(again.status == 409);
  CHECK(again.json()["error"]["code"] == "conflict");
}

TEST_CASE("cancel a running task: the provider call is abandoned and the task ends cancelled",
          "[integration][ai][cancel]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    fake_response r;
    r.hang = true;
    return r;
  });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CALL_TIMEOUT_MS", "20000"}})});
  auto c = s.client();
  auto a = s.auth("user_cr");
  auto sub = submit(c, a, {{"prompt", "hangs"}});
  REQUIRE(sub.status == 202);
  auto id = sub.json()["task_id"].get<std::string>();
  REQUIRE(fake.wait_for("POST", chat_path, 1, 5s));
  CHECK(await_task(c, a, id, 1s, "running")["status"] == "running");
  auto started = std::chrono::steady_clock::now();
  auto r = c.request("POST", "/api/ai/tasks/" + id + "/cancel", "", a);
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "cancelled");
  CHECK(t["cancel_requested"] == true);
  CHECK(t["result"].is_null());
  CHECK(await_task(c, a, id)["status"] == "cancelled");
  pg db(s.database_url());
  CHECK_FALSE(db.query("SELECT lease_owner FROM ai_tasks WHERE id = $1", {id})[0]["lease_owner"].has_value());
  CHECK(fake.count("POST", chat_path) == 1);  // not retried
  // Now it has finished.
  CHECK(c.request("POST", "/api/ai/tasks/" + id + "/cancel", "", a).status == 409);
}

TEST_CASE("cancel a finished task: 409 conflict, nothing changes", "[integration][ai][cancel]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("done")); });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto a = s.auth("user_cf");
  auto r = submit(c, a, {{"prompt", "quick"}}, "?wait=10");
  REQUIRE(r.status == 200);
  auto id = r.json()["task_id"].get<std::string>();
  auto cancel = c.request("POST", "/api/ai/tasks/" + id + "/cancel", "", a);
  CHECK(cancel.status == 409);
  CHECK(cancel.json()["error"]["code"] == "conflict");
  auto t = c.get("/api/ai/tasks/" + id, a).json();
  CHECK(t["status"] == "succeeded");
  CHECK_FALSE(t.contains("cancel_requested"));
  CHECK(c.request("POST", "/api/ai/tasks/not-a-task/cancel", "", a).status == 404);
}
