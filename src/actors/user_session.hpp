#pragma once

#include "actors/actor_info.hpp"
#include "actors/interfaces.hpp"
#include "actors/plan_job.hpp"
#include "actors/services.hpp"
#include "actors/token_bucket.hpp"
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

  // Cached profile and plan. `epoch` moves on every invalidation so that a
  // load started before it never repopulates a cache with stale data.
  std::optional<profile_doc> profile;
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

  std::optional<token_bucket> bucket;
  std::chrono::steady_clock::time_point last_used;
  uint64_t handled = 0;

  static inline const char* name = "user_session";
};

using user_session_pointer = caf::stateful_actor<user_session_state>*;

/// The behaviour of one user's session actor (protocol in interfaces.hpp).
caf::behavior user_session(user_session_pointer self, std::string user_id, services* svc);

/// Spawns a session for `user_id` and registers it for supervision. Called by
/// the session directory on a miss (any thread).
user_session_actor spawn_user_session(services& svc, const std::string& user_id);

}  // namespace trainia
