#pragma once

#include "ai/task_input.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

/// The OpenAI-compatible chat completions wire format (OpenAI, Ollama, vLLM,
/// llama.cpp all speak it): building the request, reading the answer and the
/// error body. Pure functions.
namespace trainia::ai {

/// `{"model","messages":[{"role":"system",…}?,{"role":"user",…}],"temperature"?,"max_tokens"?}`;
/// the system message only when non-empty, the sampling fields only when given.
std::string chat_request_body(const task_input& in);

/// What a task keeps of a successful answer.
struct chat_result {
  std::string content;
  std::string model;          // the provider's, else the requested one
  std::string finish_reason;  // "" when the provider sent none
  std::optional<int64_t> prompt_tokens, completion_tokens, total_tokens;

  /// The task's `result`: {"content","model","finish_reason","usage":{…}}
  /// (null for what the provider did not report).
  std::string to_json() const;
};

/// Reads `choices[0].message.content`, `choices[0].finish_reason`, `model`
/// and `usage`; nullopt (with `why`) when the body is not such an answer.
std::optional<chat_result> parse_chat_response(std::string_view body, const std::string& requested_model,
                                               std::string& why);

/// `error.message` of an OpenAI error body (`{"error":{"message","type","code"}}`), or "".
std::string error_message_of(std::string_view body);
/// `error.code`, else `error.type`, of an OpenAI error body, or "".
std::string error_code_of(std::string_view body);

}  // namespace trainia::ai
