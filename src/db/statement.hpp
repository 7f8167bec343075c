#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::db {

/// One SQL statement from src/db/sql/<area>/<name>.sql, compiled into the
/// binary. `name` ("profiles/get_profile") is also the log and metric label;
/// `id` indexes per-connection prepared-statement caches.
struct statement {
  std::string_view name;
  std::string_view sql;
  uint32_t id = 0;
};

/// The statement called `name` (without ".sql"). A missing name is a
/// programming error: it aborts with a message naming it.
const statement& sql(std::string_view name);

/// Number of catalogued statements.
size_t statement_count();

/// A bind parameter in text format (NULL when empty).
class param {
 public:
  param(std::nullopt_t) {}
  param(std::string v) : v_(std::move(v)) {}
  param(std::string_view v) : v_(std::string(v)) {}
  param(const char* v) : v_(std::string(v)) {}
  param(std::optional<std::string> v) : v_(std::move(v)) {}
  param(int v) : v_(std::to_string(v)) {}
  param(int64_t v) : v_(std::to_string(v)) {}
  param(uint64_t v) : v_(std::to_string(v)) {}
  param(double v);
  param(bool v) : v_(v ? "true" : "false") {}

  const char* c_str() const { return v_ ? v_->c_str() : nullptr; }

 private:
  std::optional<std::string> v_;
};

using params = std::vector<param>;

}  // namespace trainia::db
