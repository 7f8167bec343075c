#include "identity/clerk_webhook.hpp"

#include "core/error.hpp"
#include "core/time.hpp"
#include "db/run.hpp"
#include "http/call.hpp"
#include "identity/clerk_event.hpp"
#include "identity/clerk_sync.hpp"
#include "identity/svix_verifier.hpp"
#include "observability/log.hpp"

#include <memory>
#include <mutex>
#include <optional>

namespace trainia::identity {
namespace {

/// The verifier, built once from the (immutable) configuration on first use.
struct webhook_state {
  std::once_flag once;
  std::optional<svix_verifier> verifier;
  std::string problem;  // why there is none (internal, logged; never the secret)

  const svix_verifier* get(const config& cfg) {
    std::call_once(once, [&] {
      if (cfg.clerk_webhook_secret.empty()) {
        problem = "CLERK_WEBHOOK_SECRET is not set";
        return;
      }
      auto v = svix_verifier::make(cfg.clerk_webhook_secret);
      if (v)
        verifier.emplace(std::move(*v));
      else
        problem = info_of(v.error()).internal;
    });
    return verifier ? &*verifier : nullptr;
  }
};

void handle(webhook_state& state, const http::context_ptr& ctx) {
  const auto* verifier = state.get(ctx->app.cfg);
  if (!verifier)
    return ctx->fail(fail(errc::service_unavailable, "the Clerk webhook is not configured", state.problem));
  svix_headers h{ctx->header("svix-id"), ctx->header("svix-timestamp"), ctx->header("svix-signature")};
  const auto& body = ctx->req.body();
  if (auto e = verifier->verify(h, body, unix_now())) return ctx->fail(e);
  // verify() accepted the timestamp: plain digits, a handful of them.
  auto event = parse_clerk_event(body, std::stoll(std::string(h.timestamp)) * 1000);
  if (!event) return ctx->fail(event.error());

  std::string svix_id(h.id);
  std::string type = event->type;
  auto job = db::job{{db::role::service, {}}, "identity/clerk_event", sync_job(svix_id, std::move(*event))};
  http::call(
      ctx, ctx->app.svc.service_db.get(),
      [ctx, svix_id, type](clerk_sync_result& r) {
        auto& svc = ctx->app.svc;
        // Committed: this process's cached copy of the user is stale now.
        if (r.changed())
          svc.sessions.invalidate(r.user_id);
        log::info("clerk event", {{"request_id", ctx->request_id},
                                  {"svix_id", svix_id},
                                  {"type", type},
                                  {"outcome", r.outcome},
                                  {"user_id", r.user_id}});
        ctx->respond_json(http::status::ok,
                          r.outcome == "duplicate" ? R"({"received":true,"duplicate":true})" : R"({"received":true})");
      },
      db_exec_atom::value, std::move(job));
}

}  // namespace

http::handler_fn clerk_webhook_handler() {
  auto state = std::make_shared<webhook_state>();
  return [state](const http::context_ptr& ctx) { handle(*state, ctx); };
}

}  // namespace trainia::identity
