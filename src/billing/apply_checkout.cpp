#include "billing/apply_steps.hpp"
#include "billing/stripe_event.hpp"

namespace trainia::billing::detail {
namespace {

/// A Clerk user id as client_reference_id: what user_profiles.clerk_user_id admits, printable.
bool plausible_user_id(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

}  // namespace

caf::error apply_checkout(apply_scope& s) {
  static const auto& profile = db::sql("billing/profile_customer");
  static const auto& link_stmt = db::sql("billing/link_customer");
  static const auto& pending = db::sql("billing/pending_for_customer");
  std::string user;
  if (auto it = s.object.find("client_reference_id"); it != s.object.end() && it->is_string())
    user = it->get<std::string>();
  std::string customer;
  if (auto it = s.object.find("customer"); it != s.object.end()) customer = stripe_ref(*it);
  std::string subscription;
  if (auto it = s.object.find("subscription"); it != s.object.end()) subscription = stripe_ref(*it);
  if (!plausible_user_id(user)) {
    s.out.outcome = "ignored";
    s.out.note = "no client_reference_id naming a user";
    return {};
  }
  if (customer.empty()) {
    s.out.outcome = "ignored";
    s.out.note = "the session has no customer";
    return {};
  }
  auto link = lock_customer(s, customer);
  if (!link) return std::move(link.error());
  if (!link->profile_id.empty() && link->clerk_user_id != user) {
    s.failed("the customer is already linked to another user");
    return {};
  }
  if (link->profile_id.empty()) {
    auto prev = s.t.exec(profile, {user});
    if (!prev) return std::move(prev.error());
    std::string previous_customer = !prev->empty() && !prev->is_null(0, 1) ? prev->text(0, 1) : std::string();
    auto r = s.t.exec(link_stmt, {user, customer});
    if (!r) return std::move(r.error());
    nlohmann::json details{{"customer", customer}, {"created_profile", prev->empty()}};
    if (!previous_customer.empty()) details["previous_customer"] = previous_customer;
    if (auto it = s.object.find("id"); it != s.object.end() && it->is_string()) details["checkout_session"] = *it;
    s.audit(user, subscription.empty() ? customer : subscription, std::move(details));
    s.out.users.push_back(user);
    s.applied();
  } else {
    s.applied("the customer was already linked to this user");
  }
  // Whatever waited for this link is applied next, in created order, by the
  // shards of its own subscriptions.
  auto r = s.t.exec(pending, {customer});
  if (!r) return std::move(r.error());
  for (int i = 0; i < r->rows(); ++i) s.out.follow_ups.push_back({r->text(i, 0), r->text(i, 1), nullptr, false});
  return {};
}

}  // namespace trainia::billing::detail
