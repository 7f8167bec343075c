#pragma once

#include "billing/plans.hpp"
#include "db/job.hpp"
#include "http/router.hpp"

#include <functional>
#include <string>

namespace trainia::billing {

/// The body of GET /api/subscriptions, rendered once on the worker.
struct subscription_view {
  std::string body;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription_view& x) {
  return f(x.body);
}

/// Job (request role, RLS as `user_id`): the user's billing summary (api.md
/// GET /api/subscriptions) in one round trip: their active or trialing
/// subscription (else the most recent one, else null), the plan it entitles
/// (free unless active/trialing with a known plan) and AI runs used in the
/// quota period that load_plan_job would choose (the subscription's current
/// period for a paid plan, else the UTC calendar month starting
/// `month_start`; 0 without a counter row). Replies `subscription_view`.
std::function<caf::message(db::tx&)> subscription_summary_job(std::string user_id, std::string month_start,
                                                              const plan_catalog& plans);

/// GET /api/subscriptions (auth): served through the caller's session actor
/// (`user_read_atom`: rate limited, RLS as that user).
void get_subscriptions(const http::context_ptr& ctx);

}  // namespace trainia::billing
