// The AI pipeline against a fake OpenAI-compatible provider: the wire format,
// retries, back-off hints, the deadline, failures and who pays for them.
#include "ai/ai_fixture.hpp"
#include "support/prometheus.hpp"

#include <atomic>

using namespace trainia::test;
using namespace trainia::test::ai;

TEST_CASE("a run with ?wait answers the finished task, the provider saw model, messages and key", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    return json_reply(200, completion("4", "gpt-4o-mini-2024-07-18", "stop", 21, 1));
  });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto r =
      submit(c, s.auth("user_wire"),
             {{"prompt", "What is 2+2?"}, {"system", "Answer with a digit."}, {"temperature", 0.2}, {"max_tokens", 16}},
             "?wait=10");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "succeeded");
  CHECK(t["result"] == json{{"content", "4"},
                            {"model", "gpt-4o-mini-2024-07-18"},
                            {"finish_reason", "stop"},
                            {"usage", {{"prompt_tokens", 21}, {"completion_tokens", 1}, {"total_tokens", 22}}}});
  CHECK(t["input"] == json{{"prompt", "What is 2+2?"},
                           {"system", "Answer with a digit."},
                           {"model", "gpt-4o-mini"},
                           {"temperature", 0.2},
                           {"max_tokens", 16}});
  CHECK(t["error_message"].is_null());
  CHECK(t["attempts"] == 1);
  CHECK(rfc3339_ms(t["created_at"]));
  CHECK(rfc3339_ms(t["updated_at"]));
  CHECK_FALSE(t.contains("cancel_requested"));
  CHECK(r.header("cache-control") == "private, no-cache");

  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path() == chat_path);
  CHECK(seen[0].header("authorization") == std::string("Bearer ") + api_key);
  CHECK(seen[0].header("content-type") == "application/json");
  auto body = json::parse(seen[0].body);
  CHECK(body["model"] == "gpt-4o-mini");
  CHECK(body["messages"] == json::array({{{"role", "system"}, {"content", "Answer with a digit."}},
                                         {{"role", "user"}, {"content", "What is 2+2?"}}}));
  CHECK(body["temperature"] == 0.2);
  CHECK(body["max_tokens"] == 16);

  // The row keeps usage, latency and the finish reason; the lease is released.
  pg db(s.database_url());
  auto row = db.query(
      "SELECT prompt_tokens, completion_tokens, total_tokens, finish_reason, provider_latency_ms, "
      "lease_owner, finished_at IS NOT NULL AS finished FROM ai_tasks WHERE id = $1",
      {t["task_id"].get<std::string>()});
  REQUIRE(row.size() == 1);
  CHECK(row[0]["prompt_tokens"] == "21");
  CHECK(row[0]["completion_tokens"] == "1");
  CHECK(row[0]["total_tokens"] == "22");
  CHECK(row[0]["finish_reason"] == "stop");
  CHECK(row[0]["provider_latency_ms"].has_value());
  CHECK_FALSE(row[0]["lease_owner"].has_value());
  CHECK(row[0]["finished"] == "t");
  // The same task reads back identically.
  auto again = c.get("/api/ai/tasks/" + t["task_id"].get<std::string>(), s.auth("user_wire"));
  CHECK(again.status == 200);
  CHECK(again.json() == t);

  auto m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_ai_provider_duration_seconds_count") >= 1);
  std::this_thread::sleep_for(400ms);  // the status gauge is refreshed every 200 ms here
  m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_ai_tasks", {{"status", "succeeded"}}) == 1);
  CHECK(m.value("trainia_ai_tasks", {{"status", "queued"}}) == 0);
}

TEST_CASE("429 rate_limit_exceeded with Retry-After is waited out and retried", "[integration][ai]") {
  fake_http_server fake;
  std::atomic<int> calls{0};
  fake.on("POST", chat_path, [&](const recorded_request&) {
    if (++calls <= 2)
      return provider_error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded",
                            {{"Retry-After", "1"}});
    return json_reply(200, completion("finally"));
  });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto started = std::chrono::steady_clock::now();
  auto r = submit(c, s.auth("user_429"), {{"prompt", "hello"}}, "?wait=20");
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(r.status == 200);
  CHECK(r.json()["status"] == "succeeded");
  CHECK(r.json()["attempts"] == 3);
  CHECK(r.json()["result"]["content"] == "finally");
  CHECK(fake.count("POST", chat_path) == 3);
  CHECK(took >= 1900ms);  // two waits of the 1 s the provider asked for
  CHECK(runs_used(s.database_url(), "user_429") == 1);
}

TEST_CASE("429 insufficient_quota fails at once with the provider's message, and is not charged", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    return provider_error(429, "You exceeded your current quota, please check your plan and billing details.",
                          "insufficient_quota", "insufficient_quota");
  });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto r = submit(c, s.auth("user_noquota"), {{"prompt", "hello"}}, "?wait=10");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "failed");
  CHECK(t["attempts"] == 1);
  CHECK(t["error_message"] == "You exceeded your current quota, please check your plan and billing details.");
  CHECK(t["result"].is_null());
  CHECK(fake.count("POST", chat_path) == 1);
  CHECK(runs_used(s.database_url(), "user_noquota") == 0);  // our provider account, not the user's fault
}

TEST_CASE("a Retry-After past the task's deadline is not slept: the task fails by its deadline", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    return provider_error(429, "Rate limit reached", "requests", "rate_limit_exceeded", {{"retry-after", "86400"}});
  });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_TASK_DEADLINE_MS", "3000"}})});
  auto c = s.client();
  auto started = std::chrono::steady_clock::now();
  auto r = submit(c, s.auth("user_deadline"), {{"prompt", "hello"}}, "?wait=30");
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "failed");
  CHECK(t["attempts"] == 1);
  CHECK(t["error_message"] == "the provider asked to retry after 86400 s, past the task's deadline");
  CHECK(took < 3000ms);
  CHECK(fake.count("POST", chat_path) == 1);
  CHECK(runs_used(s.database_url(), "user_deadline") == 0);
}

TEST_CASE("a provider failing with 500 forever fails the task after the attempts allowed, and gives the run back",
          "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    return provider_error(500, "The server had an error while processing your request.", "server_error", "");
  });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto r = submit(c, s.auth("user_500"), {{"prompt", "hello"}}, "?wait=20");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "failed");
  CHECK(t["attempts"] == 3);
  CHECK(t["error_message"] == "The server had an error while processing your request. (after 3 attempts)");
  CHECK(fake.count("POST", chat_path) == 3);
  CHECK(runs_used(s.database_url(), "user_500") == 0);
}

TEST_CASE("a provider 400 fails the task at once with OpenAI's message, the user's run is spent", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    return provider_error(400, "This model's maximum context length is 128000 tokens.", "invalid_request_error",
                          "context_length_exceeded");
  });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto r = submit(c, s.auth("user_400"), {{"prompt", "a very long prompt"}}, "?wait=10");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "failed");
  CHECK(t["attempts"] == 1);
  CHECK(t["error_message"] == "This model's maximum context length is 128000 tokens.");
  CHECK(fake.count("POST", chat_path) == 1);
  CHECK(runs_used(s.database_url(), "user_400") == 1);
}

TEST_CASE("a provider slower than the call time-out is retried, then the task fails", "[integration][ai]") {
  fake_http_server fake;
  answer_after(fake, 3000ms, "too late");
  trainia_server s(
      {.env = provider_env(fake, {{"TRAINIA_AI_CALL_TIMEOUT_MS", "300"}, {"TRAINIA_AI_MAX_ATTEMPTS", "2"}})});
  auto c = s.client();
  auto started = std::chrono::steady_clock::now();
  auto r = submit(c, s.auth("user_slow"), {{"prompt", "hello"}}, "?wait=20");
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "failed");
  CHECK(t["attempts"] == 2);
  CHECK(t["error_message"] == "the AI provider did not answer in time (after 2 attempts)");
  CHECK(took < 2500ms);
  CHECK(fake.count("POST", chat_path) == 2);
  CHECK(runs_used(s.database_url(), "user_slow") == 0);
}

TEST_CASE("a provider 401 is our misconfiguration: the task fails, the caller never sees 401", "[integration][ai]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) {
    return provider_error(401, "Incorrect API key provided: sk-test***-key.", "invalid_request_error",
                          "invalid_api_key");
  });
  trainia_server s({.env = provider_env(fake)});
  auto c = s.client();
  auto r = submit(c, s.auth("user_401"), {{"prompt", "hello"}}, "?wait=10");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "failed");
  CHECK(t["error_message"] == "the AI provider is misconfigured on our side; the run was not charged");
  CHECK(r.body.find("sk-") == std::string::npos);
  CHECK(runs_used(s.database_url(), "user_401") == 0);
  auto log = s.log();
  CHECK(log.find("AI provider rejected the call") != std::string::npos);
  CHECK(log.find(api_key) == std::string::npos);  // the key never reaches the log
}

TEST_CASE("with ai.concurrency above 32 every provider connection stays open for the next call",
          "[integration][ai]") {
  fake_http_server fake;
  answer_prompts_after(fake, 1500ms);  // the 40 calls of a wave overlap, even under ASan
  trainia_server s(
    {.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "40"}, {"TRAINIA_AI_CALL_TIMEOUT_MS", "10000"}})});
  auto c = s.client();
  auto run_wave = [&](const std::string& name) {
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
      auto user = "user_keepalive_" + std::to_string(i % 4);
      auto r = submit(c, s.auth(user), {{"prompt", name + " " + std::to_string(i)}});
      REQUIRE(r.status == 202);
      ids.push_back(r.json()["task_id"].get<std::string>());
    }
    for (size_t i = 0; i < ids.size(); ++i)
      CHECK(await_task(c, s.auth("user_keepalive_" + std::to_string(i % 4)), ids[i], 20s)["status"] == "succeeded");
  };
  run_wave("first");
  auto opened = fake.connections_accepted();
  CHECK(opened >= 30);  // the calls overlapped: many connections were needed
  CHECK(opened <= 40);
  // The second wave finds them all idle and opens none (with 32 idle
  // connections kept, the eight beyond were closed and opened again).
  run_wave("second");
  // Never more than 40 calls at once and none closed: at most 40 in all.
  CHECK(fake.connections_accepted() <= 40);
  CHECK(fake.count("POST", chat_path) == 80);
}
