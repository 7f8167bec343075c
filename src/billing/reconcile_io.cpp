#include "billing/reconcile_io.hpp"

#include "core/error.hpp"
#include "db/tx.hpp"

#include <caf/make_message.hpp>

#include <future>

namespace trainia::billing {

caf::expected<std::unique_ptr<job_runner>> job_runner::open(const config& cfg, const std::string& conninfo,
                                                            std::string instance_id) {
  db::connect_options o;
  o.conninfo = conninfo;
  o.connect_timeout_ms = cfg.database_connect_timeout_ms;
  o.statement_timeout_ms = cfg.database_statement_timeout_ms;
  o.application_name = "trainia-reconcile";
  auto c = db::connection::open(o);
  if (!c) return std::move(c.error());
  return std::unique_ptr<job_runner>(new job_runner(std::move(*c), std::move(instance_id)));
}

caf::message job_runner::run(const db::access& who, const std::function<caf::message(db::tx&)>& fn) {
  if (!conn_->healthy())
    return caf::make_message(fail_unavailable("the database is unavailable", 0, "connection lost"));
  caf::message reply;
  db::tx t(*conn_, who, instance_);
  try {
    reply = fn(t);
  } catch (const std::exception& e) {
    reply = caf::make_message(fail(errc::internal, "internal error", std::string("db job threw: ") + e.what()));
  }
  bool ok = !reply.match_elements<caf::error>();
  if (auto e = t.finish(ok); e && ok) reply = caf::make_message(std::move(e));
  return reply;
}

net::outbound_response call_and_wait(net::outbound_client& client, net::outbound_request req,
                                     net::retry_options retry) {
  std::promise<net::outbound_response> done;
  auto answer = done.get_future();
  client.send(std::move(req), std::move(retry), [&done](net::outbound_response r) { done.set_value(std::move(r)); });
  return answer.get();
}

}  // namespace trainia::billing
