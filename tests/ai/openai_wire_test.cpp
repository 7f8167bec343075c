#include "ai/openai_wire.hpp"
#include "ai/call_outcome.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace trainia::ai;
using json = nlohmann::json;

TEST_CASE("the chat request carries the model, the messages and the sampling fields given", "[ai][wire]") {
  task_input in;
  in.prompt = "What is 2+2?";
  in.system = "You are terse.";
  in.model = "gpt-4o-mini";
  in.temperature = 0.2;
  in.max_tokens = 64;
  auto j = json::parse(chat_request_body(in));
  CHECK(j["model"] == "gpt-4o-mini");
  REQUIRE(j["messages"].size() == 2);
  CHECK(j["messages"][0] == json{{"role", "system"}, {"content", "You are terse."}});
  CHECK(j["messages"][1] == json{{"role", "user"}, {"content", "What is 2+2?"}});
  CHECK(j["temperature"] == 0.2);
  CHECK(j["max_tokens"] == 64);

  task_input bare;
  bare.prompt = "hi";
  bare.model = "llama3";
  auto b = json::parse(chat_request_body(bare));
  CHECK(b["messages"].size() == 1);
  CHECK_FALSE(b.contains("temperature"));
  CHECK_FALSE(b.contains("max_tokens"));
}

TEST_CASE("an OpenAI answer is read: content, finish_reason, model and usage", "[ai][wire]") {
  std::string body = R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",
    "choices":[{"index":0,"message":{"role":"assistant","content":"4"},"finish_reason":"length"}],
    "usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":13}})";
  std::string why;
  auto r = parse_chat_response(body, "gpt-4o-mini", why);
  REQUIRE(r);
  CHECK(r->content == "4");
  CHECK(r->finish_reason == "length");
  CHECK(r->model == "gpt-4o-mini-2024-07-18");
  CHECK(r->prompt_tokens == std::optional<int64_t>(12));
  CHECK(r->total_tokens == std::optional<int64_t>(13));
  auto result = json::parse(r->to_json());
  CHECK(result == json{{"content", "4"},
                       {"model", "gpt-4o-mini-2024-07-18"},
                       {"finish_reason", "length"},
                       {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 1}, {"total_tokens", 13}}}});
}

TEST_CASE("servers that report less (llama.cpp, Ollama) still give a result", "[ai][wire]") {
  std::string why;
  auto r = parse_chat_response(R"({"choices":[{"message":{"content":"ok"}}]})", "llama3", why);
  REQUIRE(r);
  CHECK(r->model == "llama3");
  auto result = json::parse(r->to_json());
  CHECK(result["finish_reason"].is_null());
  CHECK(result["usage"]["total_tokens"].is_null());
  auto partial = parse_chat_response(
      R"({"choices":[{"message":{"content":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}})",
      "m", why);
  REQUIRE(partial);
  CHECK(partial->content.empty());
  CHECK(partial->total_tokens == std::optional<int64_t>(7));
  CHECK_FALSE(parse_chat_response("[]", "m", why));
  CHECK_FALSE(parse_chat_response(R"({"choices":[]})", "m", why));
  CHECK_FALSE(parse_chat_response("<html>", "m", why));
}

TEST_CASE("OpenAI error bodies give their message and code", "[ai][wire]") {
  std::string body =
      R"({"error":{"message":"Invalid 'messages[1].content': string too long.","type":"invalid_request_error","param":"messages","code":"string_above_max_length"}})";
  CHECK(error_message_of(body) == "Invalid 'messages[1].content': string too long.");
  CHECK(error_code_of(body) == "string_above_max_length");
  CHECK(error_code_of(R"({"error":{"message":"x","type":"insufficient_quota","code":null}})") == "insufficient_quota");
  CHECK(error_message_of("upstream connect error").empty());
}

TEST_CASE("outcomes: who pays for a failure, and what the user is told", "[ai][wire]") {
  auto reply = [](int status, std::string body) {
    provider_reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  };
  auto bad_prompt =
      outcome_of(reply(400, R"({"error":{"message":"bad prompt","type":"invalid_request_error"}})"), 1, 5, "", "m");
  CHECK(bad_prompt.status == "failed");
  CHECK(bad_prompt.error_message == "bad prompt");
  CHECK_FALSE(bad_prompt.refund);  // the user's

  auto key =
      outcome_of(reply(401, R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz"}})"), 1, 5, "", "m");
  CHECK(key.status == "failed");
  CHECK(key.refund);
  CHECK(key.misconfigured);
  CHECK(key.error_message.find("sk-") == std::string::npos);

  auto quota =
      outcome_of(reply(429, R"({"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}})"),
                 1, 5, "", "m");
  CHECK(quota.error_message == "You exceeded your current quota");
  CHECK(quota.refund);

  auto down = outcome_of(reply(503, ""), 3, 5, "", "m");
  CHECK(down.refund);
  CHECK(down.error_message == "the AI provider answered HTTP 503 (after 3 attempts)");

  provider_reply slow;
  slow.timed_out = true;
  auto late = outcome_of(slow, 2, 5, "", "m");
  CHECK(late.error_message == "the AI provider did not answer in time (after 2 attempts)");
  CHECK(late.refund);

  auto deadline =
      outcome_of(reply(429, ""), 1, 5, "the provider asked to retry after 86400 s, past the task's deadline", "m");
  CHECK(deadline.error_message == "the provider asked to retry after 86400 s, past the task's deadline");
  CHECK(deadline.refund);

  auto ok = outcome_of(
      reply(
          200,
          R"({"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})"),
      1, 5, "", "m");
  CHECK(ok.status == "succeeded");
  CHECK(ok.finish_reason == "stop");
  CHECK(ok.total_tokens == 3);
  CHECK_FALSE(ok.refund);

  auto garbage = outcome_of(reply(200, "<html>"), 1, 5, "", "m");
  CHECK(garbage.status == "failed");
  CHECK(garbage.refund);

  std::string long_message(3000, 'x');
  auto bounded = outcome_of(reply(400, json{{"error", {{"message", long_message}}}}.dump()), 1, 5, "", "m");
  CHECK(bounded.error_message.size() < 1100);
}
