#include "billing/apply_steps.hpp"
#include "billing/subscription_snapshot.hpp"
#include "core/error.hpp"

namespace trainia::billing::detail {
namespace {

/// The stored subscription row, locked.
struct stored_subscription {
  std::string id, clerk_user_id, status, plan_name, last_event_id;
  std::optional<int64_t> last_created, period_start, period_end;
  bool deleted = false;
  bool cancel_at_period_end = false;
};

caf::expected<std::optional<stored_subscription>> lock_row(apply_scope& s, const std::string& sub_id) {
  static const auto& stmt = db::sql("billing/lock_subscription");
  auto r = s.t.exec(stmt, {sub_id});
  if (!r) return std::move(r.error());
  if (r->empty()) return std::optional<stored_subscription>{};
  auto opt_int = [&](int col) -> std::optional<int64_t> {
    if (r->is_null(0, col)) return std::nullopt;
    return r->int64(0, col);
  };
  stored_subscription row;
  row.id = r->text(0, 0);
  row.clerk_user_id = r->text(0, 1);
  row.status = r->text(0, 2);
  row.plan_name = r->text(0, 3);
  row.last_created = opt_int(4);
  row.last_event_id = r->opt_text(0, 5).value_or("");
  row.deleted = r->boolean(0, 6);
  row.period_start = opt_int(7);
  row.period_end = opt_int(8);
  row.cancel_at_period_end = r->boolean(0, 9);
  return std::optional<stored_subscription>{std::move(row)};
}

db::param opt_unix(const std::optional<int64_t>& v) {
  return v ? db::param(*v) : db::param(std::nullopt);
}

nlohmann::json details_of(const subscription_snapshot& snap) {
  return {{"status", snap.status}, {"plan", snap.plan_name}, {"cancel_at_period_end", snap.cancel_at_period_end}};
}

}  // namespace

caf::error apply_subscription(apply_scope& s) {
  static const auto& insert = db::sql("billing/insert_subscription");
  static const auto& update = db::sql("billing/update_subscription");
  const nlohmann::json& source = s.in.fetched ? *s.in.fetched : s.object;
  auto snap = read_subscription(source, s.plans);
  if (!snap) {
    s.failed(info_of(snap.error()).message);
    return {};
  }
  // Stripe's `canceled` is final: a fetched canceled subscription is as deleted.
  bool deleting = s.type == "customer.subscription.deleted" || (s.in.fetched_state && snap->status == "canceled");
  auto link = lock_customer(s, snap->customer_id);
  if (!link) return std::move(link.error());
  auto row = lock_row(s, snap->id);
  if (!row) return std::move(row.error());

  if (!*row) {
    if (link->profile_id.empty()) {
      s.out.outcome = "pending_link";
      s.out.note = "the customer is not linked to a user yet";
      return {};
    }
    auto r = s.t.exec(insert, {link->profile_id, snap->id, snap->customer_id, snap->plan_name, snap->status,
                               opt_unix(snap->period_start), opt_unix(snap->period_end), snap->cancel_at_period_end,
                               s.created, s.event_id, snap->price_id, snap->item_id, deleting});
    if (!r) return std::move(r.error());
    if (!r->empty()) {
      s.audit(link->clerk_user_id, snap->id, details_of(*snap));
      s.out.users.push_back(link->clerk_user_id);
      s.applied();
      return {};
    }
    // Another process inserted it since we looked: it is there now, locked by us next.
    row = lock_row(s, snap->id);
    if (!row) return std::move(row.error());
    if (!*row) return fail(errc::internal, "internal error", "subscription vanished while inserting");
  }

  const auto& cur = **row;
  if (cur.deleted) {
    s.applied("the subscription was deleted; a later event does not revive it");
    return {};
  }
  if (cur.last_event_id == s.event_id) {
    s.applied("already the last applied event of this subscription");
    return {};
  }
  if (cur.last_created && s.created < *cur.last_created) {
    s.applied("stale: older than the last applied event " + cur.last_event_id);
    return {};
  }
  if (cur.last_created && s.created == *cur.last_created && !s.in.fetched) {
    if (s.in.can_fetch) {
      s.out.fetch_subscription = snap->id;  // ask Stripe, then run again
      return {};
    }
    if (!incoming_wins_tie(cur.status, snap->status)) {
      s.applied("same-second tie with " + cur.last_event_id + " settled by the lifecycle rule: kept " + cur.status);
      return {};
    }
  }
  bool changed = deleting || cur.status != snap->status || cur.plan_name != snap->plan_name ||
                 cur.period_start != snap->period_start || cur.period_end != snap->period_end ||
                 cur.cancel_at_period_end != snap->cancel_at_period_end;
  // A fetched state equal to the row writes nothing, so reconcile run twice
  // changes nothing. Leaving last_event_* where it is stays safe: an event
  // newer than it that differs from this state must be followed by a still
  // newer one restoring it, which Stripe delivers too.
  if (!changed && s.in.fetched_state) {
    s.applied("no change");
    return {};
  }
  // Always move last_event_* forward, so an older event can never roll back
  // past this one even when nothing visible changes now.
  auto r =
      s.t.exec(update, {cur.id, snap->plan_name, snap->status, opt_unix(snap->period_start), opt_unix(snap->period_end),
                        snap->cancel_at_period_end, s.created, s.event_id, snap->price_id, snap->item_id, deleting});
  if (!r) return std::move(r.error());
  if (!changed) {
    s.applied("no change");
    return {};
  }
  auto details = details_of(*snap);
  details["previous_status"] = cur.status;
  details["previous_plan"] = cur.plan_name;
  if (s.in.fetched) details["settled_by"] = "stripe";
  s.audit(cur.clerk_user_id, snap->id, std::move(details));
  s.out.users.push_back(cur.clerk_user_id);
  s.applied();
  return {};
}

}  // namespace trainia::billing::detail
