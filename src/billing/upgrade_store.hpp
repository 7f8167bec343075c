#pragma once

#include "db/job.hpp"
#include "db/statement.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <utility>

/// The upgrade's database steps (service role; each job one transaction,
/// run on a pool worker's thread).
namespace trainia::billing {

/// What an upgrade starts from.
struct upgrade_state {
  std::string customer_id;      // user_profiles.stripe_customer_id, "" if none yet
  std::string email;            // "" if unknown
  std::string subscription_id;  // the active or trialing subscription, "" if none
  std::string plan_name;        // its plan
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upgrade_state& x) {
  return f(x.customer_id, x.email, x.subscription_id, x.plan_name);
}

/// Job: the user's customer, email and active subscription (the one GET
/// /api/subscriptions shows), creating the profile if this is the first sight
/// of the user. Replies `upgrade_state`.
std::function<caf::message(db::tx&)> upgrade_state_job(std::string user_id);

/// The customer stored for a user after `link_new_customer_job`.
struct customer_stored {
  std::string customer_id;
  bool stored_now = false;  // false: another upgrade (any process) stored one first; this is that one
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, customer_stored& x) {
  return f(x.customer_id, x.stored_now);
}

/// Job: stores `customer_id` as the user's customer only if none is stored
/// (`UPDATE … WHERE stripe_customer_id IS NULL`), under the customer's
/// advisory lock that the billing apply step also takes; otherwise reads the
/// one stored (a new statement, so it sees what another transaction
/// committed meanwhile). Replies `customer_stored`; `not_found` if the
/// profile is gone (user deleted meanwhile).
std::function<caf::message(db::tx&)> link_new_customer_job(std::string user_id, std::string customer_id);

/// The audit row of an upgrade (actor 'user', action 'subscription.upgrade').
std::pair<const db::statement*, db::params> upgrade_audit(const std::string& user_id, const std::string& subject,
                                                          const nlohmann::json& details);

/// Job: writes that row alone. Replies `true`.
std::function<caf::message(db::tx&)> upgrade_audit_job(std::string user_id, std::string subject,
                                                       nlohmann::json details);

}  // namespace trainia::billing
