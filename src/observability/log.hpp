#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace trainia::log {

/// A field value: text, integer, number, boolean or null.
using value = std::variant<std::nullptr_t, std::string_view, int64_t, double, bool>;

struct field {
  std::string_view key;
  value v;
  field(std::string_view k, std::string_view s) : key(k), v(s) {}
  field(std::string_view k, const std::string& s) : key(k), v(std::string_view(s)) {}
  field(std::string_view k, const char* s) : key(k), v(std::string_view(s)) {}
  field(std::string_view k, int64_t x) : key(k), v(x) {}
  field(std::string_view k, int x) : key(k), v(static_cast<int64_t>(x)) {}
  field(std::string_view k, unsigned x) : key(k), v(static_cast<int64_t>(x)) {}
  field(std::string_view k, uint64_t x) : key(k), v(static_cast<int64_t>(x)) {}
  field(std::string_view k, double x) : key(k), v(x) {}
  field(std::string_view k, bool x) : key(k), v(x) {}
  field(std::string_view k, std::nullptr_t) : key(k), v(nullptr) {}
};

/// Sets the minimum level written (LOG_LEVEL). Call once before threads start.
void set_level(log_level l);
bool enabled(log_level l);

/// Writes one JSON object per line to stderr: {"time","level","msg",…fields}.
/// Thread-safe without a shared lock: each line is formatted in a
/// thread-local buffer and written with a single write(2). Callers must never
/// pass secrets, tokens or request bodies.
void write(log_level l, std::string_view msg, std::initializer_list<field> fields = {});

/// An access line (level info): formatted now, written within ~20 ms with
/// other lines of its thread in one write(2) — when its thread's buffer
/// passes 4 KB, before the thread's next line written with write(), or by a
/// flusher thread — so that a request does not pay a system call (and the log
/// file's lock) of its own. What is buffered is lost only if the process is
/// killed; flush() and exit write it.
void access(std::string_view msg, std::initializer_list<field> fields = {});

/// Writes every thread's buffered access lines now.
void flush();

inline void debug(std::string_view m, std::initializer_list<field> f = {}) { write(log_level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<field> f = {}) { write(log_level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<field> f = {}) { write(log_level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<field> f = {}) { write(log_level::error, m, f); }

/// Appends `s` to `out` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);

}  // namespace trainia::log
