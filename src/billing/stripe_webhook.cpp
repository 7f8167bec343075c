#include "billing/stripe_webhook.hpp"

#include "billing/billing_messages.hpp"
#include "billing/stripe_signature.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "http/call.hpp"
#include "observability/log.hpp"

#include <nlohmann/json.hpp>

namespace trainia::billing {

http::handler_fn stripe_webhook_handler() {
  return [](const http::context_ptr& ctx) {
    auto& svc = ctx->app.svc;
    const auto& secrets = ctx->app.cfg.stripe_webhook_secrets;
    if (secrets.empty())
      return ctx->fail(fail_unavailable("the Stripe webhook is not configured", 0, "STRIPE_WEBHOOK_SECRET is not set"));
    const auto& body = ctx->req.body();
    if (auto e = verify_stripe_signature(ctx->header("stripe-signature"), body, secrets, unix_now()))
      return ctx->fail(e);
    auto event = parse_stripe_event(body);
    if (!event) return ctx->fail(event.error());
    if (log::enabled(log_level::debug))
      log::debug("stripe event received",
                 {{"request_id", ctx->request_id}, {"event_id", event->id}, {"type", event->type}});
    // The body is no longer needed by the request: hand it over instead of copying it.
    stripe_delivery d{std::move(*event), std::make_shared<const std::string>(std::move(ctx->req.body()))};
    http::call(
        ctx, svc.stripe_ingest.get(),
        [ctx](ingest_ack& ack) {
          ctx->respond_json(http::status::ok,
                            ack.duplicate ? R"({"received":true,"duplicate":true})" : R"({"received":true})");
        },
        stripe_ingest_atom::value, std::move(d));
  };
}

http::handler_fn stripe_replay_handler() {
  return [](const http::context_ptr& ctx) {
    std::string event_id = ctx->params.empty() ? std::string() : ctx->params[0];
    if (event_id.empty() || event_id.size() > 255) return ctx->fail(fail(errc::not_found, "no such Stripe event"));
    http::call(
        ctx, ctx->app.svc.billing.get(),
        [ctx](replay_result& r) {
          log::info("stripe event replayed",
                    {{"request_id", ctx->request_id}, {"event_id", r.event_id}, {"outcome", r.outcome}});
          ctx->respond_json(http::status::ok, nlohmann::json{{"event_id", r.event_id}, {"outcome", r.outcome}}.dump());
        },
        stripe_replay_atom::value, std::move(event_id));
  };
}

}  // namespace trainia::billing
