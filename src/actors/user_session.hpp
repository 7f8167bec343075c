#pragma once

#include "actors/actor_info.hpp"
#include "actors/interfaces.hpp"
#include "actors/services.hpp"
#include "actors/token_bucket.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <deque>
#include <optional>

namespace trainia {

struct user_session_state {
  std::string user_id;
  services* svc = nullptr;
  std::shared_ptr<actor_info> info;

  // Profile cache. `epoch` moves on every invalidation so that a load that
  // started before it never repopulates the cache with stale data.
  std::optional<profile_doc> profile;
  uint64_t epoch = 0;
  bool loading = false;
  std::vector<caf::typed_response_promise<profile_doc>> waiting;

  // This user's writes, applied one at a time in arrival order.
  struct pending_write {
    profile_update update;
    caf::typed_response_promise<profile_doc> promise;
  };
  std::deque<pending_write> writes;
  bool writing = false;

  std::optional<token_bucket> bucket;
  std::chrono::steady_clock::time_point last_used;
  uint64_t handled = 0;

  static inline const char* name = "user_session";
};

using user_session_pointer = user_session_actor::stateful_pointer<user_session_state>;

/// The behaviour of one user's session actor (see interfaces.hpp).
user_session_actor::behavior_type user_session(user_session_pointer self, std::string user_id, services* svc);

/// Spawns a session for `user_id`, registers it for supervision and for
/// /admin/actors. Called by the session directory on a miss (any thread).
user_session_actor spawn_user_session(services& svc, const std::string& user_id);

}  // namespace trainia
