// The AI endpoints' contract: validation, ownership, paging, idempotent
// submits, the echo provider of dev mode and an unconfigured provider.
#include "ai/ai_fixture.hpp"

#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace trainia::test;
using namespace trainia::test::ai;

namespace {

/// The `details` of a validation error as path → message.
std::map<std::string, std::string> details(const http_response& r) {
  REQUIRE(r.status == 400);
  auto j = r.json();
  REQUIRE(j["error"]["code"] == "validation_failed");
  std::map<std::string, std::string> out;
  for (const auto& d : j["error"]["details"]) out[d["path"]] = d["message"];
  return out;
}

}  // namespace

TEST_CASE("submits are validated field by field, nothing is stored or sent for a bad one", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("x")); });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_MODELS", "gpt-4o"}})});
  auto c = s.client();
  auto a = s.auth("user_val");
  CHECK(details(submit(c, a, json::object())).at("prompt") == "is required");
  CHECK(details(submit(c, a, {{"prompt", ""}})).count("prompt"));
  CHECK(details(submit(c, a, {{"prompt", std::string(32001, 'x')}})).count("prompt"));
  CHECK(details(submit(c, a, {{"prompt", 42}})).at("prompt") == "must be a string");
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"system", std::string(32001, 's')}})).count("system"));
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"model", "gpt-5-ultra"}})).at("model") ==
        "must be one of: gpt-4o-mini, gpt-4o");
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"temperature", 2.5}})).count("temperature"));
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"temperature", -1}})).count("temperature"));
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"max_tokens", 0}})).count("max_tokens"));
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"max_tokens", 4097}})).count("max_tokens"));
  CHECK(details(submit(c, a, {{"prompt", "x"}, {"max_tokens", 1.5}})).count("max_tokens"));
  auto unknown = details(submit(c, a, {{"prompt", "x"}, {"stream", true}, {"n", 2}}));
  CHECK(unknown.at("stream") == "unknown field");
  CHECK(unknown.at("n") == "unknown field");
  CHECK(details(submit(c, a, {{"prompt", "x"}}, "?wait=61")).count("wait"));
  CHECK(details(submit(c, a, {{"prompt", "x"}}, "?wait=abc")).count("wait"));
  CHECK(details(submit(c, a, {{"prompt", "x"}}, "?wait=-1")).count("wait"));
  CHECK(details(submit(c, a, {{"prompt", "x"}}, "", {{"Idempotency-Key", std::string(300, 'k')}}))
            .count("Idempotency-Key"));

  auto h = a;
  h.emplace_back("Content-Type", "application/json");
  auto broken = c.request("POST", "/api/ai/run", "{\"prompt\":", h);
  CHECK(broken.status == 400);
  CHECK(broken.json()["error"]["code"] == "invalid_json");
  auto text = a;
  text.emplace_back("Content-Type", "text/plain");
  CHECK(c.request("POST", "/api/ai/run", "{\"prompt\":\"x\"}", text).status == 415);
  CHECK(c.request("POST", "/api/ai/run", "{\"prompt\":\"x\"}", {{"Content-Type", "application/json"}}).status == 401);

  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks") == 0);
  CHECK(runs_used(s.database_url(), "user_val") == 0);
  CHECK(fake.count("POST", chat_path) == 0);

  // The edges are accepted.
  auto ok =
      submit(c, a, {{"prompt", std::string(32000, 'x')}, {"temperature", 2}, {"max_tokens", 4096}, {"model", "gpt-4o"}},
             "?wait=60");
  CHECK(ok.status == 200);
  CHECK(json::parse(fake.requests().at(0).body)["model"] == "gpt-4o");
}

TEST_CASE("202 on submit, tasks of other users and malformed ids are 404, never 403", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("mine")); });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto r = submit(c, s.auth("user_owner"), {{"prompt", "secret question"}});
  REQUIRE(r.status == 202);
  auto body = r.json();
  CHECK(body.size() == 2);
  CHECK(body["status"] == "queued");
  auto id = body["task_id"].get<std::string>();
  CHECK(id.size() == 36);
  // The row was written before the 202.
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE id = $1", {id}) == 1);

  auto done = await_task(c, s.auth("user_owner"), id);
  CHECK(done["status"] == "succeeded");
  auto other = c.get("/api/ai/tasks/" + id, s.auth("user_intruder"));
  CHECK(other.status == 404);
  CHECK(other.json()["error"]["code"] == "not_found");
  CHECK(other.body.find("secret") == std::string::npos);
  auto cancel_other = c.request("POST", "/api/ai/tasks/" + id + "/cancel", "", s.auth("user_intruder"));
  CHECK(cancel_other.status == 404);
  for (std::string bad : {"not-a-uuid", "00000000-0000-0000-0000-00000000000g", "%27%20OR%201=1"})
    CHECK(c.get("/api/ai/tasks/" + bad, s.auth("user_owner")).status == 404);
  CHECK(c.get("/api/ai/tasks/00000000-0000-0000-0000-000000000000", s.auth("user_owner")).status == 404);
  CHECK(c.get("/api/ai/tasks/" + id).status == 401);
  // The intruder's list is empty.
  auto list = c.get("/api/ai/tasks", s.auth("user_intruder"));
  CHECK(list.status == 200);
  CHECK(list.json() == json{{"tasks", json::array()}, {"next_before", nullptr}});
}

TEST_CASE("the task list pages newest first and validates its query", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path,
          [](const recorded_request& r) { return json_reply(200, completion("re: " + prompt_of(r))); });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto a = s.auth("user_pages");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = submit(c, a, {{"prompt", "task " + std::to_string(i)}}, "?wait=10");
    REQUIRE(r.status == 200);
    ids.push_back(r.json()["task_id"]);
  }
  submit(c, s.auth("user_pages_other"), {{"prompt", "not yours"}}, "?wait=10");
  std::vector<std::string> seen;
  std::string target = "/api/ai/tasks?limit=2";
  int pages = 0;
  for (;;) {
    auto r = c.get(target, a);
    REQUIRE(r.status == 200);
    auto j = r.json();
    ++pages;
    CHECK(j["tasks"].size() <= 2);
    for (const auto& t : j["tasks"]) {
      seen.push_back(t["task_id"]);
      CHECK(t["result"]["content"] == "re: " + t["input"]["prompt"].get<std::string>());
    }
    if (j["next_before"].is_null()) break;
    target = "/api/ai/tasks?limit=2&before=" + j["next_before"].get<std::string>();
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>(ids.rbegin(), ids.rend()));
  auto all = c.get("/api/ai/tasks", a).json();
  CHECK(all["tasks"].size() == 5);  // default limit 20
  CHECK(all["next_before"].is_null());
  CHECK(c.get("/api/ai/tasks?before=2000-01-01T00:00:00Z", a).json()["tasks"].empty());
  CHECK(c.get("/api/ai/tasks?limit=0", a).status == 400);
  CHECK(c.get("/api/ai/tasks?limit=101", a).status == 400);
  CHECK(c.get("/api/ai/tasks?limit=ten", a).status == 400);
  auto bad_before = c.get("/api/ai/tasks?before=yesterday", a);
  CHECK(bad_before.status == 400);
  CHECK(bad_before.json()["error"]["details"][0]["path"] == "before");
  CHECK(c.get("/api/ai/tasks?limit=100", a).status == 200);
}

TEST_CASE("a retried submit with the same Idempotency-Key returns the first task and is charged once",
          "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("once")); });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto a = s.auth("user_idem");
  header_list key{{"Idempotency-Key", "submit-7f3a"}};
  auto first = submit(c, a, {{"prompt", "only once"}}, "", key);
  REQUIRE(first.status == 202);
  auto id = first.json()["task_id"].get<std::string>();
  await_task(c, a, id);
  auto second = submit(c, a, {{"prompt", "only once"}}, "", key);
  CHECK(second.status == 202);
  CHECK(second.json()["task_id"] == id);
  CHECK(second.json()["status"] == "succeeded");
  auto waited = submit(c, a, {{"prompt", "only once"}}, "?wait=5", key);
  CHECK(waited.status == 200);
  CHECK(waited.json()["task_id"] == id);
  CHECK(waited.json()["result"]["content"] == "once");
  auto different = submit(c, a, {{"prompt", "something else"}}, "", key);
  CHECK(different.status == 409);
  CHECK(different.json()["error"]["code"] == "conflict");
  // Another user's identical key is theirs.
  auto theirs = submit(c, s.auth("user_idem_2"), {{"prompt", "only once"}}, "", key);
  CHECK(theirs.status == 202);
  CHECK(theirs.json()["task_id"] != id);
  CHECK(fake.count("POST", chat_path) >= 1);
  CHECK(runs_used(s.database_url(), "user_idem") == 1);
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks t JOIN user_profiles p ON p.id = t.user_id WHERE p.clerk_user_id = "
                 "'user_idem'") == 1);
}

TEST_CASE("dev mode without OPENAI_API_KEY answers with the built-in echo provider", "[integration][ai]") {
  auto key_file = temp_dir("trainia-dev") + "/dev-key.pem";
  trainia_server s({.env = {{"AUTH_MODE", "dev"},
                            {"TRAINIA_DEV_KEY_FILE", key_file},
                            {"CLERK_JWT_KEY", ""},
                            {"CLERK_ISSUER", ""},
                            {"OPENAI_API_KEY", ""}}});
  auto minted =
      run_trainia({"dev-token", "user_dev"},
                  {{"AUTH_MODE", "dev"}, {"TRAINIA_DEV_KEY_FILE", key_file}, {"DATABASE_URL", s.database_url()}});
  REQUIRE(minted.exit_code == 0);
  auto token = minted.output.substr(0, minted.output.find_first_of("\r\n"));
  auto c = s.client();
  auto r = submit(c, {bearer(token)}, {{"prompt", "echo me back"}}, "?wait=10");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "succeeded");
  CHECK(t["result"]["model"] == "echo");
  CHECK(t["result"]["content"] == "echo me back");
  CHECK(t["result"]["finish_reason"] == "stop");
  CHECK(t["result"]["usage"]["total_tokens"].is_number_integer());
}

TEST_CASE("outside dev mode a missing OPENAI_API_KEY makes submits 503 with a clear message", "[integration][ai]") {
  trainia_server s({.env = {{"OPENAI_API_KEY", ""}}});
  auto c = s.client();
  auto r = submit(c, s.auth("user_nokey"), {{"prompt", "hello"}});
  CHECK(r.status == 503);
  CHECK(r.json()["error"]["code"] == "service_unavailable");
  CHECK(r.json()["error"]["message"] == "the AI provider is not configured (OPENAI_API_KEY is unset)");
  CHECK(r.has_header("retry-after"));
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks") == 0);
  // Validation still comes first.
  CHECK(submit(c, s.auth("user_nokey"), json::object()).status == 400);
}

TEST_CASE("a wait that runs out answers 202 with the task unfinished, each waiter at its own limit",
          "[integration][ai]") {
  fake_http_server fake;
  answer_after(fake, 4000ms, "slow but sure");
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CALL_TIMEOUT_MS", "10000"}})});
  // The longer wait is registered first; the shorter one, registered later,
  // must still be answered at its own limit, before the longer one.
  std::mutex m;
  std::vector<std::string> order;
  http_response long_wait, short_wait;
  std::thread first([&] {
    auto c = s.client();
    long_wait = submit(c, s.auth("user_wait_long"), {{"prompt", "three seconds"}}, "?wait=3");
    std::lock_guard lock(m);
    order.push_back("long");
  });
  std::this_thread::sleep_for(500ms);
  std::thread second([&] {
    auto c = s.client();
    short_wait = submit(c, s.auth("user_wait_short"), {{"prompt", "one second"}}, "?wait=1");
    std::lock_guard lock(m);
    order.push_back("short");
  });
  first.join();
  second.join();
  REQUIRE(order == std::vector<std::string>{"short", "long"});
  for (const auto* r : {&long_wait, &short_wait}) {
    REQUIRE(r->status == 202);
    CHECK((r->json()["status"] == "running" || r->json()["status"] == "queued"));
  }
  // The tasks go on and end.
  auto c = s.client();
  auto a = s.auth("user_wait_short");
  auto done = await_task(c, a, short_wait.json()["task_id"].get<std::string>());
  CHECK(done["status"] == "succeeded");
  CHECK(done["result"]["content"] == "slow but sure");
}
