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
  auto pool = ctx->app.svc.service_db.get();
  auto job = db::job{{db::role::service, {}}, "health/schema_version", [](db::tx& t) -> caf::message {
                       static const auto& stmt = db::sql("health/schema_version");
                       auto r = t.exec(stmt);
                       if (!r) return caf::make_message(std::move(r.error()));
                       return caf::make_message(static_cast<int64_t>(r->int64(0, 0)));
                     }};
  call(
    ctx, pool,
    [ctx, latest](int64_t version) {
      nlohmann::json j{{"database", "ok"}, {"schema_version", version}, {"expected_version", latest}};
      if (version == latest) {
        j["status"] = "ready";
        return ctx->respond_json(status::ok, j.dump());
      }
      j["status"] = "schema not at the latest migration";
      ctx->respond_json(status::service_unavailable, j.dump());
    },
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
