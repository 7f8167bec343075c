#pragma once

#include "actors/messages.hpp"
#include "billing/plans.hpp"
#include "db/job.hpp"

#include <functional>

namespace trainia::billing {

/// Job: the plan the user is on now — that of their active or trialing
/// subscription, else "free" — with the period its quota counts in (the
/// subscription's current period; for free, the current UTC calendar month).
/// Replies `plan_info`.
std::function<caf::message(db::tx&)> load_plan_job(std::string user_id, const plan_catalog& plans);

/// [start, end) of the UTC calendar month containing `unix_seconds`, RFC 3339.
std::pair<std::string, std::string> calendar_month(int64_t unix_seconds);

}  // namespace trainia::billing
