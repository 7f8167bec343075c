#pragma once

#include "http/types.hpp"
#include "observability/metrics.hpp"

#include <array>
#include <atomic>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::http {

class request_context;
using context_ptr = std::shared_ptr<request_context>;
using handler_fn = std::function<void(const context_ptr&)>;

/// How a route is reached before its handler runs.
struct route_options {
  bool authenticated = false;  // requires a Clerk session token
  bool json_body = false;      // body must be application/json (415 otherwise)
};

/// Per-route metric children, resolved on first use of each status and then
/// recorded through without any lock.
class route_stats {
 public:
  route_stats(obs::registry& m, std::string pattern, verb method);
  void record(unsigned status_code, double seconds);

 private:
  obs::registry& m_;
  std::string pattern_;
  std::string method_;
  obs::histogram* duration_;
  std::array<std::atomic<obs::counter*>, 600> by_status_{};
};

struct route {
  verb method;
  std::string pattern;  // "/api/ai/tasks/{id}"; also the metric/log label
  handler_fn handler;
  route_options opts;
  std::vector<std::string> segments;  // pattern split on '/'
  std::shared_ptr<route_stats> stats;
};

struct route_match {
  const route* found = nullptr;        // null: see `path_known`
  bool path_known = false;             // a route has this path with another method (405)
  std::string allow;                   // methods allowed on the path, for Allow and CORS
  std::vector<std::string> params;     // values of {…} segments, in order
};

/// A fixed table of routes matched segment by segment. Built once at start-up
/// and read concurrently without locks.
class router {
 public:
  explicit router(obs::registry& m) : m_(m) {}
  void add(verb method, std::string pattern, handler_fn h, route_options opts = {});
  /// Matches a path (without query string). Percent-encoded segments are not
  /// decoded: ids in our API are plain.
  route_match match(verb method, std::string_view path) const;

 private:
  obs::registry& m_;
  std::vector<route> routes_;
};

/// Splits "/a/b" into {"a","b"}; empty segments are kept ("/a//b" has one).
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace trainia::http
