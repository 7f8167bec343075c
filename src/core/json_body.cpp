#include "core/json_body.hpp"

#include "core/error.hpp"

namespace trainia {

caf::expected<nlohmann::json> parse_json_body(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return fail_validation({{"", "JSON nesting deeper than " + std::to_string(max_depth)}});
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return fail(errc::invalid_json, "the request body is not valid JSON");
  return j;
}

int json_depth(const nlohmann::json& j) {
  if (!j.is_structured()) return 0;
  int inner = 0;
  for (const auto& e : j) inner = std::max(inner, json_depth(e));
  return inner + 1;
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

namespace {

// Decodes one UTF-8 sequence at s[i]; returns the code point and its length.
std::pair<uint32_t, size_t> decode(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return {c, 1};
  size_t len = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : 2;
  if (i + len > s.size()) return {0xFFFD, 1};
  uint32_t cp = c & (0x3F >> (len - 1));
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return {cp, len};
}

bool is_space(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

}  // namespace

std::string trim_unicode(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e) {
    auto [cp, len] = decode(s, b);
    if (!is_space(cp)) break;
    b += len;
  }
  // Walk back to the start of the last code point each time.
  while (e > b) {
    size_t k = e - 1;
    while (k > b && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    auto [cp, len] = decode(s, k);
    if (!is_space(cp)) break;
    e = k;
  }
  return std::string(s.substr(b, e - b));
}

bool has_control_chars(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto [cp, len] = decode(s, i);
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return true;
    i += len;
  }
  return false;
}

bool contains_nul(const nlohmann::json& j) {
  auto has = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  if (j.is_string()) return has(j.get_ref<const std::string&>());
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (has(it.key()) || contains_nul(it.value())) return true;
  } else if (j.is_array()) {
    for (const auto& v : j)
      if (contains_nul(v)) return true;
  }
  return false;
}

}  // namespace trainia
