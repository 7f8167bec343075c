#pragma once

#include "actors/messages.hpp"
#include "db/job.hpp"
#include "db/result.hpp"

#include <functional>

namespace trainia::profiles {

/// Renders row `row` of a profile query (columns as in
/// src/db/sql/profiles/*.sql) into the API body and its entity tag.
profile_doc render(const db::result& r, int row);

/// Job: the user's profile, created on first sight. Replies `profile_doc`.
std::function<caf::message(db::tx&)> load_job(std::string user_id);

/// Job: applies a validated update (creating the profile if it vanished, e.g.
/// after user.deleted). `If-Match` that no longer matches → precondition_failed.
/// Replies `profile_doc`.
std::function<caf::message(db::tx&)> update_job(std::string user_id, profile_update u);

}  // namespace trainia::profiles
