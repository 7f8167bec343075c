#include "ai/task_input.hpp"

#include "core/error.hpp"
#include "core/json_body.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace trainia::ai {

namespace {

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

bool blank(std::string_view s) {
  return trim_unicode(s).empty();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string task_input::to_json() const {
  nlohmann::json j{{"prompt", prompt}};
  if (system) j["system"] = *system;
  j["model"] = model;
  if (temperature) j["temperature"] = *temperature;
  if (max_tokens) j["max_tokens"] = *max_tokens;
  return j.dump();
}

std::vector<std::string> allowed_models(const config& cfg) {
  std::vector<std::string> out{cfg.openai_model};
  for (const auto& m : cfg.ai_models)
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  return out;
}

caf::expected<task_input> validate_submit(std::string_view body, const config& cfg) {
  auto parsed = parse_json_body(body);
  if (!parsed) return std::move(parsed.error());
  const auto& j = *parsed;
  if (!j.is_object()) return fail_validation({{"", "expected a JSON object"}});
  std::vector<field_error> errors;
  task_input in;
  in.model = cfg.openai_model;
  bool have_prompt = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    if (key == "prompt") {
      have_prompt = true;
      if (!v.is_string()) {
        errors.push_back({"prompt", "must be a string"});
        continue;
      }
      const auto& s = v.get_ref<const std::string&>();
      auto n = code_points(s);
      if (n < 1 || n > max_prompt_chars)
        errors.push_back({"prompt", "must be 1 to 32000 characters"});
      else if (blank(s))
        errors.push_back({"prompt", "must not be blank"});
      else if (has_nul(s))
        errors.push_back({"prompt", "must not contain NUL characters"});
      else
        in.prompt = s;
    } else if (key == "system") {
      if (v.is_null()) continue;
      if (!v.is_string()) {
        errors.push_back({"system", "must be a string"});
        continue;
      }
      const auto& s = v.get_ref<const std::string&>();
      if (code_points(s) > max_system_chars)
        errors.push_back({"system", "must be at most 32000 characters"});
      else if (has_nul(s))
        errors.push_back({"system", "must not contain NUL characters"});
      else
        in.system = s;
    } else if (key == "model") {
      if (v.is_null()) continue;
      auto allowed = allowed_models(cfg);
      if (!v.is_string() || std::find(allowed.begin(), allowed.end(), v.get_ref<const std::string&>()) == allowed.end())
        errors.push_back({"model", "must be one of: " + join(allowed)});
      else
        in.model = v.get<std::string>();
    } else if (key == "temperature") {
      if (v.is_null()) continue;
      if (!v.is_number()) {
        errors.push_back({"temperature", "must be a number"});
        continue;
      }
      auto t = v.get<double>();
      if (!(t >= 0.0 && t <= 2.0))
        errors.push_back({"temperature", "must be between 0 and 2"});
      else
        in.temperature = t;
    } else if (key == "max_tokens") {
      if (v.is_null()) continue;
      if (!v.is_number_integer()) {
        errors.push_back({"max_tokens", "must be an integer"});
        continue;
      }
      // Compare as signed 64-bit: a huge unsigned value must not wrap into range.
      bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(max_max_tokens)
                                             : v.get<int64_t>() <= max_max_tokens;
      if (!in_range || v.get<int64_t>() < 1)
        errors.push_back({"max_tokens", "must be between 1 and 4096"});
      else
        in.max_tokens = static_cast<int>(v.get<int64_t>());
    } else {
      errors.push_back({key, "unknown field"});
    }
  }
  if (!have_prompt) errors.push_back({"prompt", "is required"});
  if (!errors.empty()) return fail_validation(std::move(errors));
  return in;
}

std::optional<task_input> input_from_json(std::string_view stored) {
  auto j = nlohmann::json::parse(stored, nullptr, false);
  if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string()) return std::nullopt;
  task_input in;
  in.prompt = j["prompt"].get<std::string>();
  if (j.contains("system") && j["system"].is_string()) in.system = j["system"].get<std::string>();
  if (j.contains("model") && j["model"].is_string()) in.model = j["model"].get<std::string>();
  if (j.contains("temperature") && j["temperature"].is_number()) in.temperature = j["temperature"].get<double>();
  if (j.contains("max_tokens") && j["max_tokens"].is_number_integer()) in.max_tokens = j["max_tokens"].get<int>();
  return in;
}

std::string check_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return "must be 1 to 255 characters";
  for (unsigned char c : key)
    if (c < 0x21 || c > 0x7E) return "must be printable ASCII without spaces";
  return {};
}

}  // namespace trainia::ai
