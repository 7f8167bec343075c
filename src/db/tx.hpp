#pragma once

#include "db/connection.hpp"
#include "db/job.hpp"

namespace trainia::db {

/// A job's view of its connection. The first statement opens a transaction
/// (BEGIN + role and user context, pipelined with it: one round trip);
/// `exec_commit` sends a statement and COMMIT together. After a commit the
/// next statement opens a new transaction. Used only on the worker's thread.
class tx {
 public:
  tx(connection& c, const access& who, const std::string& instance_id);

  /// Runs one statement inside the current transaction.
  caf::expected<result> exec(const statement& s, const params& p = {});
  /// Runs one statement and commits, in one round trip.
  caf::expected<result> exec_commit(const statement& s, const params& p = {});
  /// Runs an uncatalogued statement in the current transaction (operator
  /// commands and tests only).
  caf::expected<result> exec_adhoc(std::string sql_text, const params& p = {});
  /// Called with the batch's results (they start at `all[first]`) as soon as
  /// they are in, while the COMMIT that follows them still runs.
  using before_commit = std::function<void(std::vector<result>& all, size_t first)>;
  /// Runs one statement per entry of `batch` in one round trip, in the current
  /// transaction. Fails as a whole on the first error. With `commit` and
  /// `early`, the server sends the batch's results before it commits and
  /// `early` sees them then: it may start work that needs nothing durable
  /// yet, and must undo it if this then fails.
  caf::expected<std::vector<result>> exec_batch(const std::vector<std::pair<const statement*, params>>& batch,
                                                bool commit, const before_commit* early = nullptr);

  /// Ends the job: commits when `success` and a transaction is open, else rolls back.
  caf::error finish(bool success);

  const access& who() const { return who_; }
  connection& conn() { return conn_; }

 private:
  /// Queues BEGIN and the context statements unless a transaction is open;
  /// returns how many results they add in front of the caller's.
  size_t open_if_needed();

  connection& conn_;
  access who_;  // a copy: callers may pass a temporary
  std::string instance_id_;  // a copy, as who_
  bool open_ = false;
};

}  // namespace trainia::db
