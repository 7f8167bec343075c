#include "billing/upgrade_api.hpp"

#include "billing/billing_messages.hpp"
#include "core/error.hpp"
#include "core/json_body.hpp"
#include "http/call.hpp"

namespace trainia::billing {
namespace {

// Up to four Stripe calls (each bounded by stripe_retry) and three short
// transactions, possibly queued behind another upgrade of the same user.
constexpr std::chrono::seconds upgrade_deadline{90};

}  // namespace

caf::expected<const plan*> read_upgrade_body(std::string_view body, const plan_catalog& plans) {
  auto doc = parse_json_body(body);
  if (!doc) return std::move(doc.error());
  if (!doc->is_object()) return fail_validation({{"plan", "the body must be an object {\"plan\": \"<name>\"}"}});
  std::vector<field_error> errors;
  for (auto it = doc->begin(); it != doc->end(); ++it)
    if (it.key() != "plan") errors.push_back({it.key(), "unknown field"});
  auto p = doc->find("plan");
  const plan* target = nullptr;
  if (p == doc->end()) {
    errors.insert(errors.begin(), {"plan", "required"});
  } else if (!p->is_string()) {
    errors.insert(errors.begin(), {"plan", "must be a string"});
  } else {
    target = plans.by_name(p->get<std::string>());
    if (!target)
      errors.insert(errors.begin(), {"plan", "unknown plan"});
    else if (target->price_id.empty())
      errors.insert(errors.begin(), {"plan", "this plan has no price to subscribe to"});
  }
  if (!errors.empty()) return fail_validation(std::move(errors));
  return target;
}

void post_upgrade(const http::context_ptr& ctx) {
  auto& svc = ctx->app.svc;
  auto target = read_upgrade_body(ctx->req.body(), *svc.plans);
  if (!target) return ctx->fail(target.error());
  if (ctx->app.cfg.stripe_secret_key.empty() || !svc.outbound)
    return ctx->fail(fail_unavailable("billing is not configured", 0, "STRIPE_SECRET_KEY is not set"));
  ctx->extend_deadline(upgrade_deadline);
  std::string plan = (*target)->name;
  http::call_session(
      ctx,
      [ctx, plan](plan_info& current) {
        if (current.plan == plan) return ctx->fail(fail(errc::conflict, "you are already on the " + plan + " plan"));
        http::call(
            ctx, ctx->app.svc.billing.get(),
            [ctx](upgrade_reply& r) { ctx->respond_json(http::status::ok, std::move(r.body)); },
            stripe_upgrade_atom::value, upgrade_request{ctx->user->user_id, plan});
      },
      plan_atom::value);
}

}  // namespace trainia::billing
