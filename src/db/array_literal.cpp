#include "db/array_literal.hpp"

namespace trainia::db {

namespace {

void append_element(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

template <class Items, class Append>
std::string literal(const Items& items, size_t size_hint, Append append) {
  std::string out;
  out.reserve(size_hint + size_hint / 16 + 2);
  out.push_back('{');
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    append(out, item);
  }
  out.push_back('}');
  return out;
}

}  // namespace

std::string text_array(const std::vector<std::string_view>& items) {
  size_t size = 0;
  for (auto s : items) size += s.size() + 3;
  return literal(items, size, [](std::string& out, std::string_view s) { append_element(out, s); });
}

std::string nullable_text_array(const std::vector<std::optional<std::string_view>>& items) {
  size_t size = 0;
  for (const auto& s : items) size += (s ? s->size() : 4) + 3;
  return literal(items, size, [](std::string& out, const std::optional<std::string_view>& s) {
    if (s) append_element(out, *s);
    else out += "NULL";
  });
}

std::string nullable_int_array(const std::vector<std::optional<long long>>& items) {
  return literal(items, items.size() * 8, [](std::string& out, const std::optional<long long>& v) {
    if (v) out += std::to_string(*v);
    else out += "NULL";
  });
}

std::string bool_array(const std::vector<bool>& items) {
  return literal(items, items.size() * 2, [](std::string& out, bool v) { out.push_back(v ? 't' : 'f'); });
}

}  // namespace trainia::db
