#include "billing/apply_fetched.hpp"

#include "billing/apply_steps.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

#include <caf/make_message.hpp>

namespace trainia::billing {
namespace {

nlohmann::json row_json(const db::result& r) {
  if (r.empty()) return nullptr;
  auto ts = [&](int col) -> nlohmann::json {
    if (r.is_null(0, col)) return nullptr;
    return rfc3339_from_pg(r.view(0, col));
  };
  return {{"id", r.text(0, 0)},
          {"stripe_subscription_id", r.text(0, 1)},
          {"plan_name", r.text(0, 2)},
          {"status", r.text(0, 3)},
          {"current_period_start", ts(4)},
          {"current_period_end", ts(5)},
          {"cancel_at_period_end", r.boolean(0, 6)}};
}

caf::message run(db::tx& t, const fetched_subscription& f, const plan_catalog& plans) {
  static const auto& row = db::sql("billing/subscription_row");
  if (!f.object || !f.object->is_object())
    return caf::make_message(fail(errc::upstream_error, "Stripe sent an unreadable subscription"));
  std::string sub_id;
  if (auto it = f.object->find("id"); it != f.object->end() && it->is_string()) sub_id = it->get<std::string>();
  fetched_result out;
  out.result.type = "subscription.fetched";
  apply_input in;
  in.event_id = f.source + ":" + sub_id + "@" + std::to_string(f.read_at);
  in.fetched = f.object;
  in.fetched_state = true;
  detail::apply_scope s{t, plans, in, in.event_id, out.result.type, f.read_at, *f.object, std::nullopt, out.result, {}};
  if (auto e = detail::apply_subscription(s)) return caf::make_message(std::move(e));
  for (const auto& extra : f.also) s.tail.push_back(extra);
  s.tail.emplace_back(&row, db::params{sub_id});
  auto r = t.exec_batch(s.tail, true);
  if (!r) return caf::make_message(std::move(r.error()));
  out.subscription = row_json(r->back());
  out.result.outcome_changed = !out.result.users.empty();
  return caf::make_message(std::move(out));
}

}  // namespace

std::function<caf::message(db::tx&)> apply_fetched_job(fetched_subscription in, const plan_catalog& plans) {
  return [in = std::move(in), &plans](db::tx& t) -> caf::message { return run(t, in, plans); };
}

}  // namespace trainia::billing
