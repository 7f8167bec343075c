#include "http/handlers/operator_handlers.hpp"

#include "auth/token_cache.hpp"
#include "db/run.hpp"
#include "db/tx.hpp"
#include "http/call.hpp"

#include <nlohmann/json.hpp>

namespace trainia::http {

void healthz(const context_ptr& ctx) { ctx->respond_json(status::ok, R"({"status":"ok"})"); }

void readyz(const context_ptr& ctx) {
  auto latest = ctx->app.latest_migration;
  auto not_ready = [ctx, latest](std::string reason, int64_t version) {
    nlohmann::json j{{"status", "not ready"}, {"reason", std::move(reason)}, {"expected_version", latest}};
    if (version >= 0) j["schema_version"] = version;
    ctx->respond_json(status::service_unavailable, j.dump());
  };
  auto job = db::job{{db::role::service, {}}, "health/schema_version", [](db::tx& t) -> caf::message {
                       static const auto& exists = db::sql("health/schema_table_exists");
                       static const auto& version = db::sql("health/schema_version");
                       auto e = t.exec(exists);
                       if (!e) return caf::make_message(std::move(e.error()));
                       if (!e->boolean(0, 0)) return caf::make_message(int64_t{0});
                       auto r = t.exec(version);
                       if (!r) return caf::make_message(std::move(r.error()));
                       return caf::make_message(static_cast<int64_t>(r->int64(0, 0)));
                     }};
  call_or(
    ctx, ctx->app.svc.service_db.get(),
    [ctx, latest, not_ready](int64_t version) {
      if (version != latest) return not_ready("schema is not at this binary's latest migration", version);
      nlohmann::json j{{"status", "ready"}, {"database", "ok"}, {"schema_version", version}};
      ctx->respond_json(status::ok, j.dump());
    },
    [not_ready](const caf::error& e) { not_ready("database unavailable: " + info_of(e).message, -1); },
    db_exec_atom::value, std::move(job));
}

void metrics(const context_ptr& ctx) {
  auto& m = ctx->app.svc.metrics;
  if (ctx->app.verifier) m.auth_verifications.with({}).mirror(ctx->app.verifier->verifications());
  response res{status::ok, ctx->req.version()};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = m.render();
  ctx->respond(std::move(res));
}

void actors(const context_ptr& ctx) {
  ctx->respond_json(status::ok, ctx->app.svc.actors.tree().dump());
}

}  // namespace trainia::http
