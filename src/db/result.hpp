#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace trainia::db {

/// A query result (owned PGresult). Cheap to copy (shared). Read on the
/// connection's thread or hand it off whole; never shared across threads
/// while one of them still writes (nobody writes: results are immutable).
class result {
 public:
  result() = default;
  explicit result(PGresult* r) : r_(r, &PQclear) {}

  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  int columns() const { return r_ ? PQnfields(r_.get()) : 0; }
  bool empty() const { return rows() == 0; }
  /// Rows touched by INSERT/UPDATE/DELETE.
  int64_t affected() const;

  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view view(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string text(int row, int col) const { return std::string(view(row, col)); }
  std::optional<std::string> opt_text(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return text(row, col);
  }
  int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const { return view(row, col) == "t"; }
  /// Column index by name, or -1.
  int column(const char* name) const { return PQfnumber(r_.get(), name); }

 private:
  std::shared_ptr<PGresult> r_;
};

}  // namespace trainia::db
