#include "billing/stripe_api.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"

#include <cctype>
#include <ctime>

namespace trainia::billing {
namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

bool form_safe(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' || c == '-' ||
         c == '.' || c == '_';
}

void append_escaped(std::string& out, std::string_view s, bool plus_for_space) {
  for (unsigned char c : s) {
    if (form_safe(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && plus_for_space) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex_digits[c >> 4]);
      out.push_back(hex_digits[c & 15]);
    }
  }
}

std::string api_url(const config& cfg, std::string_view path) {
  std::string url = cfg.stripe_api_base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url.append(path);
  return url;
}

bool lower_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

}  // namespace

std::string form_encode(const form_fields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    append_escaped(out, k, true);
    out.push_back('=');
    append_escaped(out, v, true);
  }
  return out;
}

std::string query_escape(std::string_view s) {
  std::string out;
  append_escaped(out, s, false);
  return out;
}

net::outbound_request stripe_post(const config& cfg, std::string_view path, const form_fields& form,
                                  const std::string& idempotency_key) {
  net::outbound_request req;
  req.method = "POST";
  req.url = api_url(cfg, path);
  req.headers.emplace_back("Authorization", "Bearer " + cfg.stripe_secret_key);
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Idempotency-Key", idempotency_key);
  req.headers.emplace_back("Accept", "application/json");
  req.body = form_encode(form);
  req.timeout = std::chrono::seconds(10);
  return req;
}

net::outbound_request stripe_get(const config& cfg, std::string_view path_and_query) {
  net::outbound_request req;
  req.method = "GET";
  req.url = api_url(cfg, path_and_query);
  req.headers.emplace_back("Authorization", "Bearer " + cfg.stripe_secret_key);
  req.headers.emplace_back("Accept", "application/json");
  req.timeout = std::chrono::seconds(10);
  return req;
}

net::retry_options stripe_retry() {
  net::retry_options r;
  r.max_attempts = 3;
  r.decide = [](const net::outbound_response& resp, int attempt) -> std::optional<std::chrono::milliseconds> {
    if (resp.cancelled) return std::nullopt;
    auto backoff = std::chrono::milliseconds(250 << (attempt - 1));
    auto should = resp.header("stripe-should-retry");
    if (lower_equals(should, "false")) return std::nullopt;
    if (lower_equals(should, "true")) return backoff;
    if (resp.status == 0 || resp.status == 409 || resp.status == 429 || resp.status >= 500) return backoff;
    return std::nullopt;
  };
  r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
  return r;
}

std::string new_idempotency_key() {
  auto h = random_hex(16);
  h[12] = '4';                                                  // version 4
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string customer_idempotency_key(const std::string& clerk_user_id) {
  bool plain = !clerk_user_id.empty() && clerk_user_id.size() <= 200;
  for (char c : clerk_user_id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      plain = false;
  return "customer-" + (plain ? clerk_user_id : sha256_hex(clerk_user_id));
}

caf::expected<nlohmann::json> stripe_object(const net::outbound_response& r, std::string_view what) {
  const std::string call(what);
  if (r.status == 0)
    return fail(errc::upstream_error, "Stripe could not be reached; try again later",
                "Stripe " + call + ": no response after " + std::to_string(r.attempts) + " attempt(s): " + r.error);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (j.is_object()) return j;
    return fail(errc::upstream_error, "Stripe sent an unreadable answer",
                "Stripe " + call + ": HTTP " + std::to_string(r.status) + " without a JSON object");
  }
  // Stripe's own message may echo request data: keep only its classification.
  std::string note =
      "Stripe " + call + ": HTTP " + std::to_string(r.status) + " after " + std::to_string(r.attempts) + " attempt(s)";
  if (j.is_object() && j["error"].is_object()) {
    const auto& e = j["error"];
    for (const char* k : {"type", "code", "param"})
      if (e.contains(k) && e[k].is_string()) note += std::string(", ") + k + "=" + e[k].get<std::string>();
  }
  if (r.status >= 500 || r.status == 429)
    return fail(errc::upstream_error, "Stripe is failing; try again later", std::move(note));
  return fail(errc::upstream_error, "Stripe refused the request", std::move(note));
}

caf::expected<stripe_list> read_list(const nlohmann::json& obj) {
  auto data = obj.find("data");
  if (data == obj.end() || !data->is_array())
    return fail(errc::upstream_error, "Stripe sent an unreadable answer", "Stripe list without a data array");
  stripe_list out;
  out.data.reserve(data->size());
  for (const auto& item : *data)
    if (item.is_object()) out.data.push_back(item);
  auto more = obj.find("has_more");
  out.has_more = more != obj.end() && more->is_boolean() && more->get<bool>();
  return out;
}

std::string string_member(const nlohmann::json& obj, std::string_view key, std::string_view prefix) {
  if (!obj.is_object()) return {};
  auto it = obj.find(std::string(key));
  if (it == obj.end() || !it->is_string()) return {};
  auto s = it->get<std::string>();
  if (s.empty() || s.compare(0, prefix.size(), prefix) != 0) return {};
  return s;
}

std::optional<int64_t> parse_http_date(std::string_view s) {
  // IMF-fixdate only (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
  if (s.size() != 29 || s.substr(3, 2) != ", " || s.substr(25) != " GMT") return std::nullopt;
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto num = [&](size_t pos, size_t n) -> int {
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  auto m = months.find(s.substr(8, 3));
  if (m == std::string_view::npos || m % 3 != 0) return std::nullopt;
  std::tm tm{};
  tm.tm_mday = num(5, 2);
  tm.tm_mon = static_cast<int>(m / 3);
  tm.tm_year = num(12, 4) - 1900;
  tm.tm_hour = num(17, 2);
  tm.tm_min = num(20, 2);
  tm.tm_sec = num(23, 2);
  if (s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':') return std::nullopt;
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_year < 70 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
      tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
    return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<int64_t> response_date(const net::outbound_response& r) {
  return parse_http_date(r.header("date"));
}

}  // namespace trainia::billing
