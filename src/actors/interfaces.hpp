#pragma once

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/actor.hpp>

/// Every typed actor interface of trainia, in one place.
///
/// The database pools speak a dynamically typed protocol because each job
/// chooses its own reply type: `(db_exec_atom, db::job) -> message` (see
/// db/pool.hpp and the typed helper db::run in db/run.hpp).
namespace trainia {

/// One user's front door (`caf::actor`, dynamically typed because callers
/// choose the reply type of the jobs they hand it). Owns that user's cached
/// profile and plan, serialises that user's writes, and enforces the per-user
/// rate limit on every request. Evicted when idle. Protocol:
///   get_profile_atom                    -> profile_doc
///   (put_profile_atom, profile_update)  -> profile_doc
///   (user_read_atom, db::job)           -> the job's reply (runs at once, RLS as this user)
///   (user_write_atom, db::job)          -> the job's reply (queued behind this user's writes)
///   plan_atom                           -> plan_info (cached)
///   (plan_write_atom, plan_job)         -> the reply of the job built from the current plan
///                                          (queued behind this user's writes)
///   invalidate_atom                     -> (drops the cached plan; send it through
///                                          session_directory::invalidate, which
///                                          drops the published profile first)
///   idle_check_atom, (crash_atom, bool stay listed) (test hook)
using user_session_actor = caf::actor;

}  // namespace trainia
