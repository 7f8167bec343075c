#pragma once

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

/// Every typed actor interface of trainia, in one place.
///
/// The database pools speak a dynamically typed protocol because each job
/// chooses its own reply type: `(db_exec_atom, db::job) -> message` (see
/// db/pool.hpp and the typed helper db::run in db/run.hpp).
namespace trainia {

/// One user's front door: owns that user's cached profile, serialises that
/// user's writes and enforces the per-user rate limit. Evicted when idle.
using user_session_actor = caf::typed_actor<
  caf::replies_to<get_profile_atom>::with<profile_doc>,
  caf::replies_to<put_profile_atom, profile_update>::with<profile_doc>,
  caf::reacts_to<invalidate_atom>,
  caf::reacts_to<idle_check_atom>,
  caf::replies_to<crash_atom>::with<bool>>;

}  // namespace trainia
