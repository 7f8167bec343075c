#include "billing/apply_steps.hpp"
#include "billing/stripe_event.hpp"

namespace trainia::billing::detail {

caf::error apply_invoice(apply_scope& s) {
  std::string customer;
  if (auto it = s.object.find("customer"); it != s.object.end()) customer = stripe_ref(*it);
  if (customer.empty()) {
    s.out.outcome = "ignored";
    s.out.note = "the invoice has no customer";
    return {};
  }
  auto link = lock_customer(s, customer);
  if (!link) return std::move(link.error());
  if (link->profile_id.empty()) {
    s.out.outcome = "pending_link";
    s.out.note = "the customer is not linked to a user yet";
    return {};
  }
  if (s.previous == "applied") {
    s.applied("already recorded");  // a replay: one audit row per invoice event
    return {};
  }
  auto subscription = invoice_subscription(s.object);
  nlohmann::json details{{"customer", customer}};
  if (!subscription.empty()) details["subscription"] = subscription;
  for (const char* key : {"id", "status", "currency", "billing_reason"})
    if (auto it = s.object.find(key); it != s.object.end() && it->is_string()) details[key] = *it;
  for (const char* key : {"amount_due", "amount_paid", "attempt_count"})
    if (auto it = s.object.find(key); it != s.object.end() && it->is_number_integer()) details[key] = *it;
  std::string subject = subscription;
  if (subject.empty())
    if (auto it = s.object.find("id"); it != s.object.end() && it->is_string()) subject = it->get<std::string>();
  s.audit(link->clerk_user_id, subject, std::move(details));
  s.applied();
  return {};
}

}  // namespace trainia::billing::detail
