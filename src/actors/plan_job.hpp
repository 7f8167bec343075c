#pragma once

#include "actors/messages.hpp"
#include "db/job.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <functional>

namespace trainia {

/// Builds a database job from the user's current plan (see plan_write_atom).
using plan_job = std::function<db::job(const plan_info&)>;

}  // namespace trainia

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::plan_job)
