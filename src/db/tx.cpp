#include "db/tx.hpp"

#include <caf/make_message.hpp>

namespace trainia::db {

tx::tx(connection& c, const access& who, const std::string& instance_id)
  : conn_(c), who_(who), instance_id_(instance_id) {}

size_t tx::open_if_needed() {
  if (open_) return 0;
  static const statement& set_context = sql("session/set_context");
  static const statement& generic_plans = sql("session/generic_plans");
  conn_.queue_literal("BEGIN");
  conn_.queue(set_context, {who_.who == role::request ? "trainia_request" : "trainia_service",
                            who_.who == role::request ? who_.user_id : std::string(), instance_id_});
  open_ = true;
  if (!who_.generic_plans) return 2;
  conn_.queue(generic_plans, {});
  return 3;
}

caf::expected<std::vector<result>> tx::exec_batch(
  const std::vector<std::pair<const statement*, params>>& batch, bool commit, const before_commit* early) {
  size_t skip = open_if_needed();
  for (const auto& [s, p] : batch) conn_.queue(*s, p);
  connection::early_results seen;
  if (commit && early) {
    conn_.queue_flush_point();
    seen = [early, skip](std::vector<result>& all) { (*early)(all, skip); };
  }
  if (commit) conn_.queue_literal("COMMIT");
  auto r = conn_.flush(seen ? &seen : nullptr);
  if (!r) {
    // A failed pipeline leaves the block aborted; finish() rolls it back.
    return std::move(r.error());
  }
  auto& all = *r;
  std::vector<result> out(std::make_move_iterator(all.begin() + skip),
                          std::make_move_iterator(all.begin() + skip + batch.size()));
  if (commit) open_ = false;
  return out;
}

caf::expected<result> tx::exec(const statement& s, const params& p) {
  auto r = exec_batch({{&s, p}}, false);
  if (!r) return std::move(r.error());
  return std::move(r->front());
}

caf::expected<result> tx::exec_adhoc(std::string sql_text, const params& p) {
  size_t skip = open_if_needed();
  conn_.queue_adhoc(std::move(sql_text), p);
  auto r = conn_.flush();
  if (!r) return std::move(r.error());
  return std::move((*r)[skip]);
}

caf::expected<result> tx::exec_commit(const statement& s, const params& p) {
  auto r = exec_batch({{&s, p}}, true);
  if (!r) return std::move(r.error());
  return std::move(r->front());
}

caf::error tx::finish(bool success) {
  if (!conn_.healthy()) return {};
  if (!open_ && !conn_.in_transaction()) return {};
  conn_.queue_literal(success && open_ ? "COMMIT" : "ROLLBACK");
  open_ = false;
  auto r = conn_.flush();
  if (!r) return std::move(r.error());
  return {};
}

job enveloped(job j) {
  j.envelope = true;
  return j;
}

}  // namespace trainia::db
