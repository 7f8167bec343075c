#include "billing/subscriptions_api.hpp"

#include "billing/plan_store.hpp"
#include "core/time.hpp"
#include "db/tx.hpp"
#include "http/call.hpp"

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

namespace trainia::billing {

std::function<caf::message(db::tx&)> subscription_summary_job(std::string user_id, std::string month_start,
                                                              const plan_catalog& plans) {
  return [user_id = std::move(user_id), month_start = std::move(month_start), &plans](db::tx& t) -> caf::message {
    static const auto& summary = db::sql("billing/subscription_summary");
    static const auto& month = db::sql("billing/usage_in_month");
    auto r = t.exec_batch({{&summary, {user_id}}, {&month, {user_id, month_start}}}, false);
    if (!r) return caf::make_message(std::move(r.error()));
    const auto& sub = (*r)[0];
    const auto& used_month = (*r)[1];
    nlohmann::json subscription = nullptr;
    const plan* p = nullptr;
    int64_t used = used_month.empty() ? 0 : used_month.int64(0, 0);
    if (!sub.empty()) {
      auto ts = [&](int col) -> nlohmann::json {
        if (sub.is_null(0, col)) return nullptr;
        return rfc3339_from_pg(sub.view(0, col));
      };
      auto status = sub.text(0, 3);
      subscription = {{"id", sub.text(0, 0)},
                      {"stripe_subscription_id", sub.text(0, 1)},
                      {"plan_name", sub.text(0, 2)},
                      {"status", status},
                      {"current_period_start", ts(4)},
                      {"current_period_end", ts(5)},
                      {"cancel_at_period_end", sub.boolean(0, 6)}};
      if (status == "active" || status == "trialing") p = plans.by_name(sub.view(0, 2));
      // The quota period follows load_plan_job: a paid plan with a known period counts in it.
      if (p && !sub.is_null(0, 4) && !sub.is_null(0, 5)) used = sub.is_null(0, 7) ? 0 : sub.int64(0, 7);
    }
    if (!p) p = &plans.free();
    nlohmann::json body{{"plan", p->name},
                        {"subscription", std::move(subscription)},
                        {"entitlements",
                         {{"ai_runs_per_month", p->ai_runs_per_month},
                          {"ai_runs_used", used},
                          {"ai_max_concurrent", p->ai_max_concurrent}}}};
    return caf::make_message(subscription_view{body.dump()});
  };
}

void get_subscriptions(const http::context_ptr& ctx) {
  const auto& user = ctx->user->user_id;
  auto job = db::job{{db::role::request, user},
                     "billing/subscriptions",
                     subscription_summary_job(user, calendar_month(unix_now()).first, *ctx->app.svc.plans)};
  http::call_session(
      ctx, [ctx](subscription_view& v) { ctx->respond_json(http::status::ok, std::move(v.body)); },
      user_read_atom::value, std::move(job));
}

}  // namespace trainia::billing
