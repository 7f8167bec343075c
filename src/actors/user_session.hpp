#pragma once

#include "actors/actor_info.hpp"
#include "actors/interfaces.hpp"
#include "actors/plan_job.hpp"
#include "actors/services.hpp"
#include "actors/session_directory.hpp"
#include "actors/session_shared.hpp"
#include "db/job.hpp"

#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <deque>
#include <optional>

namespace trainia {

struct user_session_state {
  std::string user_id;
  services* svc = nullptr;
  std::shared_ptr<actor_info> info;

  // The rate limit and the cached profile, shared with the HTTP threads
  // (its own epoch guards profile loads). The plan is cached here; `epoch`
  // moves on every invalidation so that a plan load started before it never
  // repopulates the cache with stale data.
  std::shared_ptr<session_shared> shared;
  std::optional<plan_info> plan;
  uint64_t epoch = 0;
  bool loading_profile = false;
  bool loading_plan = false;
  std::vector<caf::response_promise> profile_waiters;
  std::vector<std::pair<plan_job, caf::response_promise>> plan_waiters;  // job empty: reply the plan

  // This user's writes, applied one at a time in arrival order.
  struct pending_write {
    db::job work;
    caf::response_promise promise;
    bool is_profile = false;  // a profile update: its reply refreshes the cache
  };
  std::deque<pending_write> writes;
  bool writing = false;

  uint64_t handled = 0;

  static inline const char* name = "user_session";
};

using user_session_pointer = caf::stateful_actor<user_session_state>*;

/// The behaviour of one user's session actor (protocol in interfaces.hpp).
caf::behavior user_session(user_session_pointer self, std::string user_id, services* svc,
                           std::shared_ptr<session_shared> shared);

/// Spawns a session for `user_id` and registers it for supervision. Called by
/// the session directory on a miss (any thread).
session_directory::entry spawn_user_session(services& svc, const std::string& user_id);

}  // namespace trainia
