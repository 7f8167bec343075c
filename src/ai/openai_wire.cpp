#include "ai/openai_wire.hpp"

#include <nlohmann/json.hpp>

namespace trainia::ai {

namespace {

using json = nlohmann::json;

std::optional<int64_t> count_of(const json& usage, const char* key) {
  if (!usage.is_object()) return std::nullopt;
  auto it = usage.find(key);
  if (it == usage.end() || !it->is_number_integer()) return std::nullopt;
  auto v = it->get<int64_t>();
  if (v < 0 || v > INT32_MAX) return std::nullopt;
  return v;
}

const json* error_object(const json& j) {
  if (!j.is_object()) return nullptr;
  auto it = j.find("error");
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

}  // namespace

std::string chat_request_body(const task_input& in) {
  json messages = json::array();
  if (in.system && !in.system->empty()) messages.push_back({{"role", "system"}, {"content", *in.system}});
  messages.push_back({{"role", "user"}, {"content", in.prompt}});
  json body{{"model", in.model}, {"messages", std::move(messages)}};
  if (in.temperature) body["temperature"] = *in.temperature;
  if (in.max_tokens) body["max_tokens"] = *in.max_tokens;
  return body.dump();
}

std::string chat_result::to_json() const {
  auto opt = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
  json j{{"content", content},
         {"model", model},
         {"finish_reason", finish_reason.empty() ? json(nullptr) : json(finish_reason)},
         {"usage",
          {{"prompt_tokens", opt(prompt_tokens)},
           {"completion_tokens", opt(completion_tokens)},
           {"total_tokens", opt(total_tokens)}}}};
  return j.dump();
}

std::optional<chat_result> parse_chat_response(std::string_view body, const std::string& requested_model,
                                               std::string& why) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    why = "the provider's answer is not a JSON object";
    return std::nullopt;
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    why = "the provider's answer has no choices";
    return std::nullopt;
  }
  const auto& choice = (*choices)[0];
  chat_result r;
  auto msg = choice.find("message");
  if (msg != choice.end() && msg->is_object()) {
    auto c = msg->find("content");
    if (c != msg->end() && c->is_string())
      r.content = c->get<std::string>();
    else if (auto refusal = msg->find("refusal"); refusal != msg->end() && refusal->is_string())
      r.content = refusal->get<std::string>();
  } else {
    why = "the provider's answer has no message";
    return std::nullopt;
  }
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    r.finish_reason = f->get<std::string>();
  if (auto m = j.find("model"); m != j.end() && m->is_string() && !m->get_ref<const std::string&>().empty())
    r.model = m->get<std::string>();
  else
    r.model = requested_model;
  if (auto u = j.find("usage"); u != j.end()) {
    r.prompt_tokens = count_of(*u, "prompt_tokens");
    r.completion_tokens = count_of(*u, "completion_tokens");
    r.total_tokens = count_of(*u, "total_tokens");
    if (!r.total_tokens && r.prompt_tokens && r.completion_tokens)
      r.total_tokens = *r.prompt_tokens + *r.completion_tokens;
  }
  return r;
}

std::string error_message_of(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (auto e = error_object(j)) {
    auto m = e->find("message");
    if (m != e->end() && m->is_string()) return m->get<std::string>();
  }
  return {};
}

std::string error_code_of(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (auto e = error_object(j)) {
    for (const char* key : {"code", "type"}) {
      auto c = e->find(key);
      if (c != e->end() && c->is_string() && !c->get_ref<const std::string&>().empty()) return c->get<std::string>();
    }
  }
  return {};
}

}  // namespace trainia::ai
