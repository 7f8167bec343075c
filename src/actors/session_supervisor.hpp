#pragma once

#include "actors/services.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <set>

namespace trainia {

struct session_supervisor_state {
  services* svc = nullptr;
  std::shared_ptr<actor_info> info;
  std::set<caf::actor_addr> watched;
  bool trim_due = false;  // a session ended; an idle_check_atom (the trim) is on its way
  static inline const char* name = "session_supervisor";
};

/// Supervises the per-user session actors. Sessions are caches of database
/// state, so a crashed session is restarted lazily: its directory entry is
/// dropped, the restart is counted (trainia_actor_restarts_total{actor=
/// "user_session"}, /admin/actors), and the user's next request spawns a fresh
/// one. On shutdown it stops every session it watches.
/// Memory: the heap pages that evicted sessions freed are handed back to the
/// system (glibc `malloc_trim`) once per second at most, one second after
/// sessions ended, and every five seconds whatever happens (frees that come
/// after the last session's end: connections, workers' buffers), so that a
/// process's RSS falls back after a busy period. A trim walks the free lists
/// of every arena: well under a millisecond, off the request paths.
/// Protocol: `(watch_atom, actor)` — monitor a newly spawned session;
/// `idle_check_atom` — (to itself) the coalesced trim; `tick_atom` — (to
/// itself) the periodic trim.
caf::behavior session_supervisor(caf::stateful_actor<session_supervisor_state>* self, services* svc,
                                 std::string parent);

}  // namespace trainia
