#include "billing/apply_event.hpp"

#include "billing/apply_steps.hpp"
#include "core/error.hpp"

#include <caf/make_message.hpp>

namespace trainia::billing {
namespace detail {

void apply_scope::audit(const std::string& clerk_user_id, const std::string& subject, nlohmann::json details) {
  static const auto& stmt = db::sql("billing/write_audit");
  details["event_id"] = event_id;
  tail.emplace_back(&stmt, db::params{type, clerk_user_id.empty() ? db::param(std::nullopt) : db::param(clerk_user_id),
                                      subject.empty() ? db::param(std::nullopt) : db::param(subject), details.dump()});
}

caf::expected<customer_link> lock_customer(apply_scope& s, const std::string& customer_id) {
  static const auto& lock = db::sql("billing/lock_customer");
  static const auto& link = db::sql("billing/customer_link");
  // Two statements, two snapshots: the lookup sees every link committed
  // before we got the lock.
  auto r = s.t.exec_batch({{&lock, {customer_id}}, {&link, {customer_id}}}, false);
  if (!r) return std::move(r.error());
  customer_link out;
  const auto& row = (*r)[1];
  if (!row.empty()) {
    out.profile_id = row.text(0, 0);
    out.clerk_user_id = row.text(0, 1);
  }
  return out;
}

}  // namespace detail

namespace {

bool is_subscription_type(const std::string& t) {
  return t == "customer.subscription.created" || t == "customer.subscription.updated" ||
         t == "customer.subscription.deleted" || t == "customer.subscription.paused" ||
         t == "customer.subscription.resumed";
}

caf::message run(db::tx& t, const apply_input& in, const plan_catalog& plans) {
  static const auto& lock_event = db::sql("billing/lock_event");
  static const auto& finish_event = db::sql("billing/finish_event");
  auto ev = t.exec(lock_event, {in.event_id, !in.doc});
  if (!ev) return caf::make_message(std::move(ev.error()));
  if (ev->empty()) return caf::make_message(fail(errc::not_found, "no such Stripe event"));
  apply_result out;
  out.type = ev->text(0, 0);
  auto previous = ev->opt_text(0, 1);
  if (!in.replay && previous && *previous != "pending_link") {
    out.already_done = true;
    out.outcome = *previous;
    return caf::make_message(std::move(out));
  }
  std::shared_ptr<const nlohmann::json> doc = in.doc;
  if (!doc) doc = std::make_shared<const nlohmann::json>(nlohmann::json::parse(ev->view(0, 3), nullptr, false));
  static const nlohmann::json empty_object = nlohmann::json::object();
  const nlohmann::json* object = &empty_object;
  if (doc->is_object()) {
    auto data = doc->find("data");
    if (data != doc->end() && data->is_object()) {
      auto o = data->find("object");
      if (o != data->end() && o->is_object()) object = &*o;
    }
  }
  detail::apply_scope s{t, plans, in, in.event_id, out.type, ev->int64(0, 2), *object, previous, out, {}};
  caf::error e;
  if (is_subscription_type(out.type))
    e = detail::apply_subscription(s);
  else if (out.type == "checkout.session.completed")
    e = detail::apply_checkout(s);
  else if (out.type == "invoice.paid" || out.type == "invoice.payment_failed")
    e = detail::apply_invoice(s);
  else
    out.outcome = "ignored";
  if (e) return caf::make_message(std::move(e));
  if (!out.fetch_subscription.empty()) return caf::make_message(std::move(out));  // nothing written

  auto opt = [](const std::string& v) { return v.empty() ? db::param(std::nullopt) : db::param(v); };
  s.tail.emplace_back(&finish_event, db::params{in.event_id, out.outcome, opt(out.error), opt(out.note)});
  auto r = t.exec_batch(s.tail, true);
  if (!r) return caf::make_message(std::move(r.error()));
  out.outcome_changed = !previous || *previous != out.outcome;
  return caf::make_message(std::move(out));
}

}  // namespace

std::function<caf::message(db::tx&)> apply_event_job(apply_input in, const plan_catalog& plans) {
  return [in = std::move(in), &plans](db::tx& t) -> caf::message { return run(t, in, plans); };
}

}  // namespace trainia::billing
