#pragma once

#include "config/config.hpp"

#include <caf/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::ai {

/// Limits of a submit body (api.md `POST /api/ai/run`).
constexpr size_t max_prompt_chars = 32000;
constexpr size_t max_system_chars = 32000;
constexpr int max_max_tokens = 4096;

/// A validated submit: what the task's `input` column stores and what the
/// provider is asked.
struct task_input {
  std::string prompt;
  std::optional<std::string> system;
  std::string model;  // the default model filled in
  std::optional<double> temperature;
  std::optional<int> max_tokens;

  /// The `input` object as stored and returned: {"prompt","system"?,"model","temperature"?,"max_tokens"?}.
  std::string to_json() const;
};

/// The models a submit may name: `ai.models` plus OPENAI_MODEL.
std::vector<std::string> allowed_models(const config& cfg);

/// Validates a submit body: `prompt` a string of 1..32000 code points, not
/// blank; `system` a string of at most 32000; `model` one of allowed_models
/// (default OPENAI_MODEL); `temperature` a number 0..2; `max_tokens` an
/// integer 1..4096; null counts as absent for the optional fields; no other
/// fields, no NUL characters. Errors: `invalid_json`, or `validation_failed`
/// with one detail per offending field (every problem, not just the first).
caf::expected<task_input> validate_submit(std::string_view body, const config& cfg);

/// Parses a stored `input` object back (trusted: written by validate_submit);
/// nullopt if it is not one.
std::optional<task_input> input_from_json(std::string_view stored);

/// Checks an `Idempotency-Key` header value: 1..255 printable ASCII
/// characters. Returns an error text, or empty when valid.
std::string check_idempotency_key(std::string_view key);

}  // namespace trainia::ai
