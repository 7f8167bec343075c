#include "observability/log.hpp"

#include <charconv>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace trainia::log {
namespace {

std::atomic<int> min_level{static_cast<int>(log_level::info)};

const char* level_name(log_level l) {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "info";
}

void append_time(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(now - secs).count());
  // The "YYYY-MM-DDTHH:MM:SS." part changes once a second: format it once per
  // second and thread, not on every line.
  thread_local std::chrono::system_clock::time_point cached_second{};
  thread_local char prefix[32] = {0};
  if (secs != cached_second || prefix[0] == 0) {
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = secs;
  }
  out += prefix;
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out += 'Z';
}

}  // namespace

void set_level(log_level l) { min_level.store(static_cast<int>(l), std::memory_order_relaxed); }

bool enabled(log_level l) { return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed); }

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void write(log_level l, std::string_view msg, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  thread_local std::string line;
  line.clear();
  line += "{\"time\":\"";
  append_time(line);
  line += "\",\"level\":\"";
  line += level_name(l);
  line += "\",\"msg\":";
  append_json_string(line, msg);
  for (const auto& f : fields) {
    line += ',';
    append_json_string(line, f.key);
    line += ':';
    std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) line += "null";
        else if constexpr (std::is_same_v<T, std::string_view>) append_json_string(line, v);
        else if constexpr (std::is_same_v<T, bool>) line += v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) line += std::to_string(v);
        else {
          if (!std::isfinite(v)) {
            line += "null";
          } else {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
            line.append(buf, r.ptr);
          }
        }
      },
      f.v);
  }
  line += "}\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(2, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace trainia::log
