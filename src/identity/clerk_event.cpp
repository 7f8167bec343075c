#include "identity/clerk_event.hpp"

#include "core/error.hpp"
#include "core/json_body.hpp"

#include <nlohmann/json.hpp>

namespace trainia::identity {
namespace {

using nlohmann::json;

// Column limits of user_profiles (migration 0001).
constexpr size_t max_user_id = 255;
constexpr size_t max_email = 320;
constexpr size_t max_full_name = 200;

caf::error invalid(std::string what) {
  return fail(errc::invalid_event, "the body is not a Clerk event", std::move(what));
}

std::optional<int64_t> integer(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::string text_or_empty(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The first `n` code points of valid UTF-8 text.
std::string first_code_points(const std::string& s, size_t n) {
  size_t i = 0;
  for (size_t seen = 0; i < s.size() && seen < n; ++seen) {
    auto c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  }
  return s.substr(0, std::min(i, s.size()));
}

std::optional<std::string> primary_email(const json& data) {
  auto primary = data.find("primary_email_address_id");
  auto list = data.find("email_addresses");
  if (primary == data.end() || !primary->is_string() || list == data.end() || !list->is_array()) return std::nullopt;
  for (const auto& e : *list) {
    if (!e.is_object()) continue;
    auto id = e.find("id");
    if (id == e.end() || !id->is_string() || *id != *primary) continue;
    auto addr = e.find("email_address");
    if (addr == e.end() || !addr->is_string()) return std::nullopt;
    auto s = addr->get<std::string>();
    // An address past the column's limit cannot be real (RFC 5321 allows 254):
    // keep none rather than refuse the whole event forever.
    if (s.empty() || code_points(s) > max_email) return std::nullopt;
    return s;
  }
  return std::nullopt;
}

std::optional<std::string> full_name(const json& data) {
  auto name = trim_unicode(text_or_empty(data, "first_name") + " " + text_or_empty(data, "last_name"));
  if (name.empty()) return std::nullopt;
  if (code_points(name) > max_full_name) name = trim_unicode(first_code_points(name, max_full_name));
  return name;
}

}  // namespace

caf::expected<clerk_event> parse_clerk_event(std::string_view body, int64_t svix_timestamp_ms) {
  auto parsed = parse_json_body(body);
  if (!parsed) return invalid("body is not JSON: " + info_of(parsed.error()).message);
  const json& j = *parsed;
  if (!j.is_object()) return invalid("body is not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || type->get_ref<const std::string&>().empty() ||
      type->get_ref<const std::string&>().size() > 255)
    return invalid("type missing or not a string");
  auto data = j.find("data");
  if (data == j.end() || !data->is_object()) return invalid("data missing or not an object");

  clerk_event ev;
  ev.type = type->get<std::string>();
  if (ev.type == "user.created" || ev.type == "user.updated")
    ev.action = clerk_action::upsert_user;
  else if (ev.type == "user.deleted")
    ev.action = clerk_action::delete_user;
  else
    return ev;

  ev.user_id = text_or_empty(*data, "id");
  if (ev.user_id.empty() || ev.user_id.size() > max_user_id) return invalid("data.id missing or not a Clerk id");
  if (ev.action == clerk_action::delete_user) {
    auto at = integer(j, "timestamp");
    ev.occurred_at_ms = at && *at > 0 ? *at : svix_timestamp_ms;
    return ev;
  }
  auto updated = integer(*data, "updated_at");
  if (!updated || *updated < 0) return invalid("data.updated_at missing or not milliseconds");
  ev.updated_at_ms = *updated;
  ev.email = primary_email(*data);
  ev.full_name = full_name(*data);
  return ev;
}

}  // namespace trainia::identity
