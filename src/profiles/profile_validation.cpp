#include "profiles/profile_validation.hpp"

#include "core/error.hpp"
#include "core/json_body.hpp"

namespace trainia::profiles {

namespace {
constexpr size_t max_name_chars = 200;
constexpr size_t max_preferences_bytes = 16 * 1024;
constexpr int max_preferences_depth = 8;
}  // namespace

caf::expected<profile_update> validate_update(std::string_view body) {
  auto parsed = parse_json_body(body);
  if (!parsed) return std::move(parsed.error());
  const auto& j = *parsed;
  if (!j.is_object()) return fail_validation({{"", "expected a JSON object"}});
  std::vector<field_error> errors;
  profile_update u;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    if (key == "full_name") {
      if (!v.is_string()) {
        errors.push_back({"full_name", "must be a string"});
        continue;
      }
      auto name = trim_unicode(v.get_ref<const std::string&>());
      auto n = code_points(name);
      if (n < 1 || n > max_name_chars)
        errors.push_back({"full_name", "must be 1 to 200 characters after trimming"});
      else if (has_control_chars(name))
        errors.push_back({"full_name", "must not contain control characters"});
      else {
        u.set_full_name = true;
        u.full_name = std::move(name);
      }
    } else if (key == "preferences") {
      if (!v.is_object()) {
        errors.push_back({"preferences", "must be an object"});
        continue;
      }
      auto text = v.dump();
      if (text.size() > max_preferences_bytes)
        errors.push_back({"preferences", "must be at most 16 KiB"});
      else if (json_depth(v) > max_preferences_depth)
        errors.push_back({"preferences", "must be nested at most 8 levels deep"});
      else if (contains_nul(v))
        errors.push_back({"preferences", "must not contain the character U+0000"});
      else {
        u.set_preferences = true;
        u.preferences_json = std::move(text);
      }
    } else {
      errors.push_back({key, "unknown field"});
    }
  }
  if (errors.empty() && !u.set_full_name && !u.set_preferences)
    errors.push_back({"", "at least one of full_name, preferences is required"});
  if (!errors.empty()) return fail_validation(std::move(errors));
  return u;
}

}  // namespace trainia::profiles
