#include "observability/log.hpp"

#include <charconv>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

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

void write_all(const char* p, size_t left) {
  while (left > 0) {
    ssize_t n = ::write(2, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Access lines wait in a buffer of their thread (whole lines only) and are
// written by size, before the same thread's next unbuffered line, or by the
// flusher thread within flush_after.
constexpr size_t buffer_limit = 4096;  // one write(2) of at most a pipe's atomic size
constexpr auto flush_after = std::chrono::milliseconds(20);

struct pending_lines {
  std::mutex m;  // the owning thread and the flusher
  std::string text;
};

struct buffer_registry {
  std::mutex m;  // taken to enrol a thread, and once per flush window to wake the flusher
  std::condition_variable wake;
  std::vector<std::shared_ptr<pending_lines>> all;
  std::atomic<bool> dirty{false};
};

// Never destroyed: the flusher thread and exit handlers use it until the end.
buffer_registry& registry() {
  static auto* r = new buffer_registry;
  return *r;
}

void flush_one(pending_lines& b) {
  std::lock_guard<std::mutex> g(b.m);
  if (b.text.empty()) return;
  write_all(b.text.data(), b.text.size());
  b.text.clear();
}

void flush_every() {
  auto& r = registry();
  std::vector<std::shared_ptr<pending_lines>> list;
  {
    std::lock_guard<std::mutex> g(r.m);
    list = r.all;
  }
  for (const auto& b : list) flush_one(*b);
  list.clear();
  std::lock_guard<std::mutex> g(r.m);
  // Buffers of threads that ended (only the registry holds them) and are empty.
  r.all.erase(std::remove_if(r.all.begin(), r.all.end(),
                             [](const auto& b) { return b.use_count() == 1 && b->text.empty(); }),
              r.all.end());
}

[[noreturn]] void flusher() {
  auto& r = registry();
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(r.m);
      r.wake.wait(lk, [&r] { return r.dirty.load(); });
    }
    std::this_thread::sleep_for(flush_after);  // gather what comes meanwhile
    r.dirty.store(false);
    flush_every();
  }
}

thread_local pending_lines* my_lines = nullptr;  // set once the thread buffers a line

pending_lines& enrol() {
  thread_local std::shared_ptr<pending_lines> mine = [] {
    static std::once_flag started;
    std::call_once(started, [] {
      std::atexit([] { flush_every(); });
      std::thread(flusher).detach();
    });
    auto b = std::make_shared<pending_lines>();
    auto& r = registry();
    std::lock_guard<std::mutex> g(r.m);
    r.all.push_back(b);
    return b;
  }();
  my_lines = mine.get();
  return *mine;
}

thread_local std::string line;

void format(log_level l, std::string_view msg, std::initializer_list<field> fields);

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

namespace {

void format(log_level l, std::string_view msg, std::initializer_list<field> fields) {
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
}

}  // namespace

void write(log_level l, std::string_view msg, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  format(l, msg, fields);
  if (my_lines) {
    // This thread's buffered lines go first, in the same write(2).
    std::lock_guard<std::mutex> g(my_lines->m);
    if (!my_lines->text.empty()) {
      my_lines->text += line;
      write_all(my_lines->text.data(), my_lines->text.size());
      my_lines->text.clear();
      return;
    }
  }
  write_all(line.data(), line.size());
}

void access(std::string_view msg, std::initializer_list<field> fields) {
  if (!enabled(log_level::info)) return;
  format(log_level::info, msg, fields);
  auto& mine = my_lines ? *my_lines : enrol();
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> g(mine.m);
    if (!mine.text.empty() && mine.text.size() + line.size() > buffer_limit) {
      write_all(mine.text.data(), mine.text.size());
      mine.text.clear();
    }
    was_empty = mine.text.empty();
    mine.text += line;
  }
  auto& r = registry();
  if (was_empty && !r.dirty.load(std::memory_order_relaxed) && !r.dirty.exchange(true)) {
    std::lock_guard<std::mutex> g(r.m);
    r.wake.notify_one();
  }
}

void flush() { flush_every(); }

}  // namespace trainia::log
