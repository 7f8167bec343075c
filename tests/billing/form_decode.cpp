#include "billing/form_decode.hpp"

#include <stdexcept>

namespace trainia::test {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) throw std::runtime_error("truncated escape in " + s);
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) throw std::runtime_error("bad escape in " + s);
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> decode_form(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= body.size() && !body.empty()) {
    auto end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    auto part = body.substr(start, end - start);
    auto eq = part.find('=');
    if (eq == std::string::npos)
      out.emplace_back(unescape(part), "");
    else
      out.emplace_back(unescape(part.substr(0, eq)), unescape(part.substr(eq + 1)));
    start = end + 1;
  }
  return out;
}

std::map<std::string, std::string> form_map(const std::string& body) {
  std::map<std::string, std::string> m;
  for (auto& [k, v] : decode_form(body)) m[k] = v;
  return m;
}

}  // namespace trainia::test
