#include "db/connection.hpp"

#include "core/error.hpp"
#include "db/sqlstate.hpp"

#include <poll.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace trainia::db {
namespace {

std::string prepared_name(uint32_t id) { return "s" + std::to_string(id); }

std::string sqlstate_of(const PGresult* r) {
  const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return s ? s : "";
}

std::string trimmed_error(const char* m) {
  std::string s = m ? m : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

connection::connection(PGconn* c, int statement_timeout_ms)
  : conn_(c), statement_timeout_ms_(statement_timeout_ms), prepared_(statement_count(), false) {}

connection::~connection() {
  if (conn_) PQfinish(conn_);
}

caf::expected<std::unique_ptr<connection>> connection::open(const connect_options& opts) {
  // Keywords override anything in the URI; expand_dbname lets conninfo be a URI.
  std::string timeout = std::to_string(std::max(1, (opts.connect_timeout_ms + 999) / 1000));
  std::string options = "-c statement_timeout=" + std::to_string(opts.statement_timeout_ms) +
                        " -c TimeZone=UTC -c idle_in_transaction_session_timeout=" +
                        std::to_string(opts.statement_timeout_ms * 2);
  // The keyword replaces libpq's own reading of PGOPTIONS: pass it on, after
  // ours, so an operator's settings still reach the server.
  if (const char* extra = std::getenv("PGOPTIONS"); extra && *extra) options += std::string(" ") + extra;
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name",
                        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout", nullptr};
  std::string tcp_user_timeout = std::to_string(opts.statement_timeout_ms + 5000);
  const char* values[] = {opts.conninfo.c_str(), timeout.c_str(), options.c_str(),
                          opts.application_name.c_str(), "1", "10", "5", "3",
                          tcp_user_timeout.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c) return connection_lost("out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = trimmed_error(PQerrorMessage(c));
    PQfinish(c);
    return connection_lost(why);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(c, 1) != 0) {
    PQfinish(c);
    return connection_lost("cannot enter non-blocking mode");
  }
  return std::unique_ptr<connection>(new connection(c, opts.statement_timeout_ms));
}

bool connection::healthy() const { return !broken_ && conn_ && PQstatus(conn_) == CONNECTION_OK; }

bool connection::in_transaction() const {
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

void connection::queue(const statement& s, const params& p) {
  if (!prepared_[s.id]) {
    bool already = false;
    for (auto id : preparing_) already = already || id == s.id;
    if (!already) {
      pending_.push_back({item_kind::prepare, &s, nullptr, {}, {}});
      preparing_.push_back(s.id);
    }
  }
  pending_.push_back({item_kind::statement, &s, nullptr, p, {}});
}

void connection::queue_adhoc(std::string sql_text, const params& p) {
  pending_.push_back({item_kind::statement, nullptr, nullptr, p, std::move(sql_text)});
}

void connection::queue_literal(const char* sql_text) {
  pending_.push_back({item_kind::statement, nullptr, sql_text, {}, {}});
}

void connection::queue_flush_point() {
  flush_point_ = pending_.size();
}

void connection::abandon(const char* why) {
  (void)why;
  broken_ = true;
}

caf::error connection::wait_io(short events, std::chrono::steady_clock::time_point deadline,
                               const char* what) {
  auto now = std::chrono::steady_clock::now();
  if (now >= deadline) {
    abandon(what);
    return connection_lost(std::string("time-out while ") + what);
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
  pollfd pfd{PQsocket(conn_), events, 0};
  int rc = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(1, ms)));
  if (rc < 0 && errno != EINTR) {
    abandon(what);
    return connection_lost(std::string("poll failed while ") + what);
  }
  return {};
}

std::chrono::steady_clock::time_point connection::default_deadline() const {
  // The server's statement_timeout fires first; this bounds a stalled network.
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(statement_timeout_ms_ + 2000);
}

caf::error connection::push_output(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    int f = PQflush(conn_);
    if (f == 0) return {};
    if (f < 0) {
      abandon("flush");
      return connection_lost(trimmed_error(PQerrorMessage(conn_)));
    }
    // Read while writing so a server that answers early cannot deadlock us.
    if (auto e = wait_io(POLLIN | POLLOUT, deadline, "sending")) return e;
    if (!PQconsumeInput(conn_)) {
      abandon("consume");
      return connection_lost(trimmed_error(PQerrorMessage(conn_)));
    }
  }
}

caf::expected<std::vector<result>> connection::flush(const early_results* early) {
  std::vector<pending_item> items;
  items.swap(pending_);
  preparing_.clear();
  size_t flush_point = std::exchange(flush_point_, 0);
  if (!early || flush_point >= items.size()) flush_point = 0;
  std::vector<result> out;
  if (items.empty()) return out;
  if (!healthy()) return connection_lost("connection is broken");
  auto deadline = default_deadline();
  if (PQenterPipelineMode(conn_) != 1) {
    abandon("pipeline");
    return connection_lost(trimmed_error(PQerrorMessage(conn_)));
  }
  std::vector<const char*> values;
  for (size_t k = 0; k < items.size(); ++k) {
    const auto& it = items[k];
    // The server sends what it has at once here, before running the rest.
    if (k == flush_point && flush_point > 0 && PQsendFlushRequest(conn_) != 1) {
      abandon("flush request");
      return connection_lost(trimmed_error(PQerrorMessage(conn_)));
    }
    int ok = 0;
    if (it.kind == item_kind::prepare) {
      std::string sql_text(it.stmt->sql);
      ok = PQsendPrepare(conn_, prepared_name(it.stmt->id).c_str(), sql_text.c_str(), 0, nullptr);
    } else if (it.stmt) {
      values.clear();
      for (const auto& a : it.args) values.push_back(a.c_str());
      ok = PQsendQueryPrepared(conn_, prepared_name(it.stmt->id).c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0);
    } else if (it.literal) {
      ok = PQsendQueryParams(conn_, it.literal, 0, nullptr, nullptr, nullptr, nullptr, 0);
    } else {
      values.clear();
      for (const auto& a : it.args) values.push_back(a.c_str());
      ok = PQsendQueryParams(conn_, it.adhoc.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                             nullptr, nullptr, 0);
    }
    if (!ok) {
      abandon("send");
      return connection_lost(trimmed_error(PQerrorMessage(conn_)));
    }
  }
  if (PQpipelineSync(conn_) != 1) {
    abandon("sync");
    return connection_lost(trimmed_error(PQerrorMessage(conn_)));
  }
  if (auto e = push_output(deadline)) return e;

  caf::error first_error;
  size_t idx = 0;
  for (;;) {
    while (PQisBusy(conn_)) {
      if (auto e = wait_io(POLLIN, deadline, "waiting for the database")) return e;
      if (!PQconsumeInput(conn_)) {
        abandon("consume");
        return connection_lost(trimmed_error(PQerrorMessage(conn_)));
      }
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) continue;  // end of one statement's results
    auto st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (idx >= items.size()) {  // cannot happen with a sane server
      PQclear(r);
      abandon("protocol");
      return connection_lost("unexpected result in pipeline");
    }
    const auto& it = items[idx++];
    // Every item up to the flush point is read once this one is.
    bool at_point = idx == flush_point;
    if (st == PGRES_PIPELINE_ABORTED) {
      PQclear(r);
      continue;
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
      auto state = sqlstate_of(r);
      if (!first_error) {
        std::string_view label = it.stmt ? it.stmt->name : it.literal ? std::string_view(it.literal) : "ad-hoc";
        first_error = classify(state, label, trimmed_error(PQresultErrorMessage(r)));
      }
      if (is_connection_fault(state)) abandon("server closed");
      PQclear(r);
      if (broken_) return first_error;
      continue;
    }
    if (it.kind == item_kind::prepare) {
      prepared_[it.stmt->id] = true;
      PQclear(r);
    } else {
      out.emplace_back(r);
    }
    if (at_point && !first_error) (*early)(out);
  }
  PQexitPipelineMode(conn_);
  if (first_error) return first_error;
  return out;
}

caf::expected<result> connection::read_single(std::chrono::steady_clock::time_point deadline,
                                              std::string_view label) {
  if (auto e = push_output(deadline)) return e;
  result last;
  caf::error first_error;
  for (;;) {
    while (PQisBusy(conn_)) {
      if (auto e = wait_io(POLLIN, deadline, "waiting for the database")) return e;
      if (!PQconsumeInput(conn_)) {
        abandon("consume");
        return connection_lost(trimmed_error(PQerrorMessage(conn_)));
      }
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;
    auto st = PQresultStatus(r);
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
      auto state = sqlstate_of(r);
      if (!first_error) first_error = classify(state, label, trimmed_error(PQresultErrorMessage(r)));
      if (is_connection_fault(state)) abandon("server closed");
      PQclear(r);
      continue;
    }
    last = result(r);
  }
  if (first_error) return first_error;
  if (PQstatus(conn_) != CONNECTION_OK) {
    abandon("closed");
    return connection_lost("connection closed");
  }
  return last;
}

caf::expected<result> connection::exec_script(const std::string& sql_text, int timeout_ms) {
  if (!healthy()) return connection_lost("connection is broken");
  auto deadline = timeout_ms > 0 ? std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)
                                 : default_deadline();
  if (!PQsendQuery(conn_, sql_text.c_str())) {
    abandon("send");
    return connection_lost(trimmed_error(PQerrorMessage(conn_)));
  }
  return read_single(deadline, "script");
}

caf::expected<result> connection::exec_params(const std::string& sql_text, const params& p) {
  if (!healthy()) return connection_lost("connection is broken");
  std::vector<const char*> values;
  for (const auto& a : p) values.push_back(a.c_str());
  if (!PQsendQueryParams(conn_, sql_text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                         nullptr, nullptr, 0)) {
    abandon("send");
    return connection_lost(trimmed_error(PQerrorMessage(conn_)));
  }
  return read_single(default_deadline(), "ad-hoc");
}

}  // namespace trainia::db
