#pragma once
// PostgreSQL helpers for tests, on plain libpq: a connection for set-up and
// assertions, throwaway databases, and stopping/starting the test cluster.

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainia::test {

/// libpq URI of the shared test cluster as superuser ($TRAINIA_TEST_PG_URL,
/// set by scripts/test). Throws std::runtime_error saying so when unset.
std::string admin_url();
/// True if $TRAINIA_TEST_PG_URL is set (tests can skip themselves otherwise).
bool have_database();

/// Replaces the database name in a libpq connection string: the path of a
/// postgresql:// or postgres:// URI (query string kept), or, for a
/// "key=value" string, by appending dbname=`db` (the last one wins).
std::string with_database(const std::string& url, const std::string& db);

/// One result row: nullable text values, addressed by column name or index.
class pg_row {
 public:
  /// Built by pg::query (the column list is shared by all rows).
  pg_row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<std::optional<std::string>> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}
  /// The value of `column` (nullopt for SQL NULL); throws std::runtime_error
  /// naming the available columns if there is no such column.
  std::optional<std::string> operator[](std::string_view column) const;
  /// The value at `index`; throws std::out_of_range when past the end.
  std::optional<std::string> operator[](std::size_t index) const { return values_.at(index); }
  /// Same as operator[](column).
  std::optional<std::string> at(std::string_view column) const { return (*this)[column]; }
  /// Number of columns.
  std::size_t size() const { return values_.size(); }
  /// All values in column order.
  const std::vector<std::optional<std::string>>& values() const { return values_; }
  /// The column names of the result.
  const std::vector<std::string>& columns() const { return *columns_; }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<std::optional<std::string>> values_;
};

/// A query result: column names and rows of nullable text, e.g.
/// `rows[0]["email"].value_or("")`.
struct pg_rows {
  /// Column names in result order.
  std::vector<std::string> columns;
  /// The rows in result order.
  std::vector<pg_row> rows;

  /// Number of rows.
  std::size_t size() const { return rows.size(); }
  /// True if there are no rows.
  bool empty() const { return rows.empty(); }
  /// Row `i`; throws std::out_of_range when past the end.
  const pg_row& operator[](std::size_t i) const { return rows.at(i); }
  /// The value of `column` in row `i` (throws on a bad row or column).
  std::optional<std::string> at(std::size_t i, std::string_view column) const { return rows.at(i)[column]; }
  /// Iteration over the rows.
  std::vector<pg_row>::const_iterator begin() const { return rows.begin(); }
  std::vector<pg_row>::const_iterator end() const { return rows.end(); }
};

/// A plain libpq connection for set-up and assertions in tests. Parameters
/// are sent as text ($1, $2, …; nullopt is NULL). Every failure throws
/// std::runtime_error with the server's error message (and the SQL). Notices
/// are discarded. Not thread-safe: one per thread.
class pg {
 public:
  /// Connects; throws std::runtime_error with PQerrorMessage on failure.
  explicit pg(const std::string& url);
  ~pg();
  pg(const pg&) = delete;
  pg& operator=(const pg&) = delete;

  /// Runs one statement and returns its rows (none for a command).
  pg_rows query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  /// Runs statements without caring for rows. Without params several
  /// ';'-separated statements may be given (simple query protocol).
  void exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  /// The first column of the first row; nullopt when there is no row or the
  /// value is NULL.
  std::optional<std::string> scalar(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  /// scalar() as an integer (for SELECT count(*) …); 0 when no row or NULL.
  /// Throws if the value is not an integer.
  int64_t count(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  /// The underlying handle, for anything not covered here.
  PGconn* native() const { return c_; }

 private:
  PGconn* c_ = nullptr;
};

/// A fresh database `t_<16 hex digits>` on the shared cluster (created via
/// admin_url()), dropped with DROP DATABASE … WITH (FORCE) on destruction,
/// which also ends sessions still connected to it (a failed drop is reported
/// on stderr). Throws std::runtime_error if it cannot be created.
class scratch_database {
 public:
  scratch_database();
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;
  /// The database name, t_<hex>.
  const std::string& name() const { return name_; }
  /// URI of this database: admin_url() with the database name replaced.
  std::string url() const;

 private:
  std::string name_;
};

/// Stops and starts the shared test cluster for fault tests, with the same
/// settings scripts/test used, from the environment: TRAINIA_TEST_PG_CTL
/// (pg_ctl path), TRAINIA_TEST_PGDATA (data directory), TRAINIA_TEST_PG_RUN_AS
/// (empty, or a user to run pg_ctl as via `runuser -u USER --`, e.g. when
/// the tests run as root), TRAINIA_TEST_PG_OPTS (server options, pg_ctl -o;
/// "-p $TRAINIA_TEST_PG_PORT" if unset), TRAINIA_TEST_PG_LOG (server log,
/// pg_ctl -l). pg_ctl runs directly (no shell), its output captured; every
/// failure throws std::runtime_error with that output. Stopping the shared
/// cluster affects every test running at the time.
class pg_cluster_control {
 public:
  /// Reads the environment; never throws.
  pg_cluster_control();
  /// True if TRAINIA_TEST_PG_CTL and TRAINIA_TEST_PGDATA are set.
  bool available() const;
  /// `pg_ctl stop -D DATA -m fast -w -t 60`: returns once the server is down.
  void stop();
  /// `pg_ctl start -D DATA -o OPTS -l LOG -w -t 60`: returns once it accepts
  /// connections.
  void start();
  /// `pg_ctl status`: true if the server is running.
  bool running() const;

 private:
  /// Runs pg_ctl with `args`; returns its exit code, output in `output`.
  int pg_ctl(const std::vector<std::string>& args, std::string& output) const;
  void require() const;
  std::string ctl_, data_, run_as_, opts_, log_, port_;
};

}  // namespace trainia::test
