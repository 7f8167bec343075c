#pragma once

#include <libpq-fe.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainia::test {

/// libpq URI of the shared test cluster (TRAINIA_TEST_PG_URL, set by scripts/test).
std::string admin_url();
/// True if the shared test cluster is configured.
bool have_database();

/// Query result: rows of nullable text by column name.
struct pg_rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  /// Value of `column` in row `i` (throws on an unknown column).
  std::optional<std::string> at(size_t i, const std::string& column) const;
};

/// A plain libpq connection for assertions and set-up in tests. Throws
/// std::runtime_error with the server's message on any failure.
class pg {
 public:
  explicit pg(const std::string& url);
  ~pg();
  pg(const pg&) = delete;
  pg& operator=(const pg&) = delete;

  pg_rows query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  void exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  std::optional<std::string> scalar(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  int64_t count(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});

 private:
  PGconn* c_ = nullptr;
};

/// A fresh database `t_<hex>` on the shared cluster, dropped (WITH FORCE) on
/// destruction.
class scratch_database {
 public:
  scratch_database();
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;
  const std::string& name() const { return name_; }
  /// URI of this database (same host, port and user as admin_url()).
  std::string url() const;

 private:
  std::string name_;
};

/// Replaces the database name in a libpq URI.
std::string with_database(const std::string& url, const std::string& db);

}  // namespace trainia::test
