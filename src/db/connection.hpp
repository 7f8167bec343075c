#pragma once

#include "db/result.hpp"
#include "db/statement.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace trainia::db {

struct connect_options {
  std::string conninfo;
  int connect_timeout_ms = 2000;
  int statement_timeout_ms = 5000;
  std::string application_name = "trainia";
};

/// One libpq connection, used by exactly one thread at a time (a pool worker
/// or a CLI command). Statements are queued and then sent together as one
/// pipeline (one network round trip), in non-blocking mode with a client-side
/// deadline, so a stalled server can never hold the thread longer than the
/// statement time-out plus a margin.
class connection {
 public:
  /// Connects (bounded by connect_timeout_ms) and sets UTC, statement_timeout.
  static caf::expected<std::unique_ptr<connection>> open(const connect_options& opts);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// False once the connection is lost or was abandoned after a time-out.
  bool healthy() const;

  /// Queues a catalogued statement (prepared on first use on this connection).
  void queue(const statement& s, const params& p);
  /// Queues a parameterless literal statement such as BEGIN or COMMIT.
  void queue_literal(const char* sql_text);
  /// Queues an uncatalogued statement (unnamed, not prepared). For operator
  /// commands and tests; request paths use catalogued statements.
  void queue_adhoc(std::string sql_text, const params& p);
  /// Marks the point, after what is queued so far, up to which the server
  /// sends its results at once (a flush request) rather than with the rest.
  void queue_flush_point();
  /// Called by flush() with the results read so far once every statement
  /// queued before the flush point succeeded, while the statements after it
  /// (typically COMMIT) still run.
  using early_results = std::function<void(std::vector<result>&)>;
  /// Sends everything queued with one sync and returns one result per queued
  /// statement, in order. On the first failing statement returns its
  /// classified error (later ones were skipped by the server).
  caf::expected<std::vector<result>> flush(const early_results* early = nullptr);

  /// Outside any pipeline: runs SQL text (may hold several statements) with
  /// the simple protocol. For migrations and administrative commands.
  caf::expected<result> exec_script(const std::string& sql_text, int timeout_ms = 0);
  /// Outside any pipeline: one parameterised ad-hoc statement.
  caf::expected<result> exec_params(const std::string& sql_text, const params& p);

  /// True when the server reports an open (or failed) transaction block.
  bool in_transaction() const;
  /// Raw handle for LISTEN/NOTIFY consumers.
  PGconn* native() const { return conn_; }

 private:
  explicit connection(PGconn* c, int statement_timeout_ms);
  enum class item_kind : uint8_t { prepare, statement };
  struct pending_item {
    item_kind kind;
    const statement* stmt;  // null for literals
    const char* literal;
    params args;
    std::string adhoc;  // owned text of an ad-hoc statement
  };
  caf::error wait_io(short events, std::chrono::steady_clock::time_point deadline, const char* what);
  void abandon(const char* why);
  caf::error push_output(std::chrono::steady_clock::time_point deadline);
  caf::expected<result> read_single(std::chrono::steady_clock::time_point deadline, std::string_view label);
  std::chrono::steady_clock::time_point default_deadline() const;

  PGconn* conn_ = nullptr;
  bool broken_ = false;
  int statement_timeout_ms_;
  std::vector<bool> prepared_;
  std::vector<pending_item> pending_;
  std::vector<uint32_t> preparing_;  // statement ids whose prepare is in flight
  size_t flush_point_ = 0;           // items of pending_ before the flush point; 0: none
};

}  // namespace trainia::db
