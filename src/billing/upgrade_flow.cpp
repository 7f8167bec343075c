#include "billing/upgrade_flow.hpp"

#include "billing/apply_fetched.hpp"
#include "billing/stripe_api.hpp"
#include "billing/stripe_fetch.hpp"
#include "billing/subscription_snapshot.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "db/run.hpp"
#include "net/actor_call.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

// The upgrade (api.md POST /api/subscriptions/upgrade), step by step:
//  1. read the user's customer and active subscription (creating the profile
//     on first sight); already on the plan → 409 before any Stripe call;
//  2. with an active subscription: GET /v1/subscriptions/{id} (the stored row
//     may lag), then POST /v1/subscriptions/{id} with items[0][id] (the item
//     carrying the plan's price), items[0][price], proration_behavior=
//     create_prorations; Stripe's answer is applied like a fetched state
//     (apply_fetched_job: the webhook that follows is then a no-op, or a
//     same-second tie settled by asking Stripe) together with the audit row,
//     and returned → {"action":"updated","subscription":{…}};
//  3. otherwise: the stored customer, or POST /v1/customers with
//     Idempotency-Key customer-<user> (the same customer for every process
//     within Stripe's 24 h key window) stored only if none is stored yet;
//     then POST /v1/checkout/sessions → {"action":"checkout","url":…}.
// Every Stripe POST has its own Idempotency-Key, identical on each retry.
namespace trainia::billing {
namespace {

using flow_ptr = std::shared_ptr<upgrade_flow>;

void reply(upgrade_desk_pointer self, const flow_ptr& f, nlohmann::json body) {
  f->promise.deliver(upgrade_reply{body.dump()});
  upgrade_finished(self, f->request.user_id);
}

void reply_error(upgrade_desk_pointer self, const flow_ptr& f, const caf::error& e) {
  if (is(e, errc::upstream_error)) {
    auto i = info_of(e);
    log::warn("subscription upgrade failed at Stripe", {{"plan", f->request.plan}, {"error", i.internal}});
  }
  f->promise.deliver(e);
  upgrade_finished(self, f->request.user_id);
}

caf::actor service_pool(upgrade_desk_pointer self) {
  return self->state.svc->service_db.get();
}

caf::error no_pool() {
  return fail_unavailable("the database is unavailable", 2, "no service pool");
}

/// One Stripe call; `on_object(json&, read_at)` runs in the desk with a 2xx
/// answer's object, any failure answers the upgrade.
template <class F>
void stripe_call(upgrade_desk_pointer self, const flow_ptr& f, net::outbound_request req, std::string what,
                 F on_object) {
  auto* client = self->state.svc->outbound;
  if (!client) return reply_error(self, f, fail_unavailable("billing is not available", 1, "no outbound client"));
  net::call_from_actor(self, *client, std::move(req), stripe_retry(),
                       [self, f, what = std::move(what), on_object](net::outbound_response& resp) mutable {
                         auto obj = stripe_object(resp, what);
                         if (!obj) return reply_error(self, f, obj.error());
                         on_object(*obj, response_date(resp).value_or(unix_now()));
                       });
}

void invalidate(upgrade_desk_pointer self, const std::vector<std::string>& users) {
  for (const auto& u : users)
    self->state.svc->sessions.invalidate(u);
}

/// Applies Stripe's subscription object through the billing apply step, then `next(fetched_result&)`.
template <class F>
void apply_state(upgrade_desk_pointer self, const flow_ptr& f, nlohmann::json obj, int64_t read_at,
                 std::vector<std::pair<const db::statement*, db::params>> also, F next) {
  auto pool = service_pool(self);
  if (!pool) return reply_error(self, f, no_pool());
  fetched_subscription in{std::make_shared<const nlohmann::json>(std::move(obj)), read_at, "upgrade", std::move(also)};
  db::run(self, pool, {db::role::service, {}}, "billing/apply_fetched",
          apply_fetched_job(std::move(in), *self->state.svc->plans))
      .then(
          [self, f, next](fetched_result& r) mutable {
            invalidate(self, r.result.users);
            next(r);
          },
          [self, f](caf::error& e) { reply_error(self, f, e); });
}

caf::error already_on(const flow_ptr& f) {
  return fail(errc::conflict, "you are already on the " + f->request.plan + " plan");
}

void create_checkout(upgrade_desk_pointer self, const flow_ptr& f) {
  const auto& cfg = self->state.svc->cfg;
  std::string base = cfg.app_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  form_fields form{{"mode", "subscription"},
                   {"customer", f->state.customer_id},
                   {"line_items[0][price]", f->target->price_id},
                   {"line_items[0][quantity]", "1"},
                   {"client_reference_id", f->request.user_id},
                   {"success_url", base + "/billing/success?session_id={CHECKOUT_SESSION_ID}"},
                   {"cancel_url", base + "/billing/cancel"}};
  stripe_call(self, f, stripe_post(cfg, "/v1/checkout/sessions", form, new_idempotency_key()),
              "create a Checkout Session", [self, f](nlohmann::json& session, int64_t) {
                auto url = string_member(session, "url");
                auto id = string_member(session, "id");
                if (url.empty())
                  return reply_error(
                      self, f,
                      fail(errc::upstream_error, "Stripe sent an unreadable answer", "Checkout Session without a url"));
                auto pool = service_pool(self);
                if (!pool) return reply_error(self, f, no_pool());
                nlohmann::json details{{"action", "checkout"},
                                       {"plan", f->request.plan},
                                       {"previous_plan", f->state.plan_name.empty() ? "free" : f->state.plan_name},
                                       {"customer", f->state.customer_id},
                                       {"customer_created", f->customer_created},
                                       {"checkout_session", id}};
                db::run(
                    self, pool, {db::role::service, {}}, "billing/user_audit",
                    upgrade_audit_job(f->request.user_id, id.empty() ? f->state.customer_id : id, std::move(details)))
                    .then(
                        [self, f, url](bool) {
                          log::info("subscription upgrade: checkout", {{"plan", f->request.plan}});
                          reply(self, f, {{"action", "checkout"}, {"url", url}});
                        },
                        [self, f](caf::error& e) { reply_error(self, f, e); });
              });
}

void ensure_customer(upgrade_desk_pointer self, const flow_ptr& f) {
  if (!f->state.customer_id.empty()) return create_checkout(self, f);
  const auto& cfg = self->state.svc->cfg;
  const auto& user = f->request.user_id;
  form_fields form{{"metadata[user_id]", user}};
  if (!f->state.email.empty()) form.emplace_back("email", f->state.email);
  stripe_call(self, f, stripe_post(cfg, "/v1/customers", form, customer_idempotency_key(user)), "create a customer",
              [self, f](nlohmann::json& customer, int64_t) {
                auto id = string_member(customer, "id", "cus_");
                if (id.empty())
                  return reply_error(
                      self, f,
                      fail(errc::upstream_error, "Stripe sent an unreadable answer", "customer without an id"));
                auto pool = service_pool(self);
                if (!pool) return reply_error(self, f, no_pool());
                db::run(self, pool, {db::role::service, {}}, "billing/link_new_customer",
                        link_new_customer_job(f->request.user_id, id))
                    .then(
                        [self, f, id](customer_stored& c) {
                          if (!c.stored_now && c.customer_id != id)
                            log::warn("Stripe made a second customer for a user; the stored one is used",
                                      {{"customer", id}, {"stored", c.customer_id}});
                          f->state.customer_id = c.customer_id;
                          f->customer_created = c.stored_now;
                          create_checkout(self, f);
                        },
                        [self, f](caf::error& e) { reply_error(self, f, e); });
              });
}

void change_price(upgrade_desk_pointer self, const flow_ptr& f, const subscription_snapshot& snap) {
  const auto& cfg = self->state.svc->cfg;
  form_fields form{{"items[0][id]", snap.item_id},
                   {"items[0][price]", f->target->price_id},
                   {"proration_behavior", "create_prorations"}};
  auto sub_id = snap.id;
  auto previous = snap.plan_name;
  stripe_call(self, f, stripe_post(cfg, "/v1/subscriptions/" + sub_id, form, new_idempotency_key()),
              "update the subscription", [self, f, sub_id, previous](nlohmann::json& obj, int64_t read_at) {
                nlohmann::json details{{"action", "updated"}, {"plan", f->request.plan}, {"previous_plan", previous}};
                apply_state(self, f, std::move(obj), read_at, {upgrade_audit(f->request.user_id, sub_id, details)},
                            [self, f](fetched_result& r) {
                              log::info("subscription upgrade: updated", {{"plan", f->request.plan}});
                              reply(self, f, {{"action", "updated"}, {"subscription", r.subscription}});
                            });
              });
}

void fetch_subscription(upgrade_desk_pointer self, const flow_ptr& f) {
  const auto& id = f->state.subscription_id;
  if (!valid_subscription_id(id))
    return reply_error(self, f, fail(errc::internal, "internal error", "stored subscription id not usable in a URL"));
  const auto& svc = *self->state.svc;
  stripe_call(self, f, stripe_get(svc.cfg, "/v1/subscriptions/" + id), "fetch the subscription",
              [self, f](nlohmann::json& obj, int64_t read_at) {
                auto snap = read_subscription(obj, *self->state.svc->plans);
                if (!snap || snap->item_id.empty())
                  return reply_error(self, f,
                                     fail(errc::upstream_error, "Stripe's subscription could not be read",
                                          snap ? "no item id" : info_of(snap.error()).message));
                bool live = snap->status == "active" || snap->status == "trialing";
                if (live && snap->plan_name != f->request.plan) return change_price(self, f, *snap);
                // Our row lagged behind Stripe: bring it in line first.
                apply_state(self, f, std::move(obj), read_at, {}, [self, f, live](fetched_result&) {
                  if (live) return reply_error(self, f, already_on(f));
                  f->state.subscription_id.clear();
                  f->state.plan_name.clear();
                  ensure_customer(self, f);  // no live subscription after all: Checkout
                });
              });
}

}  // namespace

void start_upgrade(upgrade_desk_pointer self, std::shared_ptr<upgrade_flow> f) {
  auto pool = service_pool(self);
  if (!pool) return reply_error(self, f, no_pool());
  if (self->state.svc->cfg.stripe_secret_key.empty())
    return reply_error(self, f, fail_unavailable("billing is not configured", 0, "STRIPE_SECRET_KEY is not set"));
  db::run(self, pool, {db::role::service, {}}, "billing/upgrade_state", upgrade_state_job(f->request.user_id))
      .then(
          [self, f](upgrade_state& st) {
            f->state = std::move(st);
            if (f->state.plan_name == f->request.plan) return reply_error(self, f, already_on(f));
            if (!f->state.subscription_id.empty()) return fetch_subscription(self, f);
            ensure_customer(self, f);
          },
          [self, f](caf::error& e) { reply_error(self, f, e); });
}

}  // namespace trainia::billing
