#pragma once
// Helpers for the AI pipeline's integration tests: a fake OpenAI-compatible
// provider (a real HTTP server on 127.0.0.1 speaking the chat completions
// wire format), server environments, plans files and small API calls.

#include "integration/server_fixture.hpp"
#include "support/fake_http_server.hpp"
#include "support/jwt_mint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace trainia::test::ai {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* api_key = "sk-test-fake-provider-key";
constexpr const char* chat_path = "/v1/chat/completions";

/// A chat completion answer as OpenAI sends it.
inline std::string completion(const std::string& content, const std::string& model = "gpt-4o-mini-2024-07-18",
                              const std::string& finish = "stop", int prompt_tokens = 12, int completion_tokens = 3) {
  return json{
      {"id", "chatcmpl-test"},
      {"object", "chat.completion"},
      {"created", 1764000000},
      {"model", model},
      {"choices",
       json::array(
           {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", finish}}})},
      {"usage",
       {{"prompt_tokens", prompt_tokens},
        {"completion_tokens", completion_tokens},
        {"total_tokens", prompt_tokens + completion_tokens}}}}
      .dump();
}

/// Makes `fake` answer every chat completion with `content` after `delay`.
inline void answer_after(fake_http_server& fake, std::chrono::milliseconds delay, const std::string& content) {
  fake.on("POST", chat_path, [delay, content](const recorded_request&) {
    auto r = json_reply(200, completion(content));
    r.delay = delay;
    return r;
  });
}

/// An OpenAI error answer.
inline fake_response provider_error(int status, const std::string& message, const std::string& type,
                                    const std::string& code, header_list headers = {}) {
  return json_reply(status,
                    json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}.dump(),
                    std::move(headers));
}

/// The user message of a chat request the fake received.
inline std::string prompt_of(const recorded_request& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j["messages"].is_array() || j["messages"].empty()) return {};
  return j["messages"].back().value("content", "");
}

/// Every chat completion is answered "answer to <prompt>" after `delay`.
/// Answers "answer to <prompt>" at once, except the prompt `slow`: after `delay`.
inline void answer_slow_prompt(fake_http_server& fake, const std::string& slow, std::chrono::milliseconds delay) {
  fake.on("POST", chat_path, [slow, delay](const recorded_request& r) {
    auto reply = json_reply(200, completion("answer to " + prompt_of(r)));
    if (prompt_of(r) == slow) reply.delay = delay;
    return reply;
  });
}

inline void answer_prompts_after(fake_http_server& fake, std::chrono::milliseconds delay) {
  fake.on("POST", chat_path, [delay](const recorded_request& r) {
    auto reply = json_reply(200, completion("answer to " + prompt_of(r)));
    reply.delay = delay;
    return reply;
  });
}

/// A plans file whose free plan allows `runs` per month and `concurrent` in flight.
inline std::string plans_file(int runs, int concurrent) {
  auto path = temp_dir("trainia-plans") + "/plans.json";
  write_file(
      path, json{{"free",
                  {{"rank", 0}, {"price_id", nullptr}, {"ai_runs_per_month", runs}, {"ai_max_concurrent", concurrent}}},
                 {"pro",
                  {{"rank", 1}, {"price_id", "price_pro_test"}, {"ai_runs_per_month", 1000}, {"ai_max_concurrent", 8}}}}
                .dump());
  return path;
}

/// Server environment pointing at `fake` with quick retries and polls;
/// `extra` wins.
inline std::map<std::string, std::string> provider_env(const fake_http_server& fake,
                                                       std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env{
      {"OPENAI_BASE_URL", fake.base_url() + "/v1"}, {"OPENAI_API_KEY", api_key},
      {"TRAINIA_PLANS_FILE", plans_file(1000, 50)}, {"TRAINIA_AI_MAX_ATTEMPTS", "3"},
      {"TRAINIA_AI_RETRY_BASE_MS", "20"},           {"TRAINIA_AI_CALL_TIMEOUT_MS", "2000"},
      {"TRAINIA_AI_TASK_DEADLINE_MS", "30000"},     {"TRAINIA_AI_POLL_INTERVAL_MS", "100"},
      {"TRAINIA_AI_METRICS_INTERVAL_MS", "200"},    {"TRAINIA_RATE_LIMIT_PER_SECOND", "1000"},
      {"TRAINIA_RATE_LIMIT_BURST", "1000"}};
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

/// POST /api/ai/run with `body`; `query` such as "?wait=10".
inline http_response submit(http_client& c, const header_list& auth, const json& body, const std::string& query = "",
                            header_list extra = {}) {
  auto h = auth;
  for (auto& e : extra) h.push_back(e);
  h.emplace_back("Content-Type", "application/json");
  return c.request("POST", "/api/ai/run" + query, body.dump(), h, 70s);
}

/// GET /api/ai/tasks/{id} until its status is `until` (or any finished one
/// when empty), at most `timeout`; returns the last task seen.
inline json await_task(http_client& c, const header_list& auth, const std::string& id,
                       std::chrono::milliseconds timeout = 20s, const std::string& until = "") {
  auto end = std::chrono::steady_clock::now() + timeout;
  json last;
  for (;;) {
    auto r = c.get("/api/ai/tasks/" + id, auth);
    REQUIRE(r.status == 200);
    last = r.json();
    auto s = last["status"].get<std::string>();
    bool done = until.empty() ? (s == "succeeded" || s == "failed" || s == "cancelled") : s == until;
    if (done || std::chrono::steady_clock::now() > end) return last;
    std::this_thread::sleep_for(25ms);
  }
}

/// The user's runs used in any period, from the database.
inline int64_t runs_used(const std::string& database_url, const std::string& user) {
  pg db(database_url);
  return db.count(
      "SELECT coalesce(sum(u.ai_runs_used), 0) FROM usage_counters u JOIN user_profiles p ON p.id = "
      "u.user_id WHERE p.clerk_user_id = $1",
      {user});
}

/// True if `text` is RFC 3339 UTC with milliseconds, as the API writes timestamps.
inline bool rfc3339_ms(const std::string& text) {
  if (text.size() != 24 || text[10] != 'T' || text[19] != '.' || text.back() != 'Z') return false;
  return true;
}

}  // namespace trainia::test::ai
