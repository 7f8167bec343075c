#pragma once

#include "actors/actor_info.hpp"
#include "db/connection.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>

namespace trainia::db {

struct worker_state {
  std::unique_ptr<connection> conn;
  std::chrono::milliseconds backoff{0};
  bool reported_down = false;
  bool heap_used = false;  // ran a job since the thread's heap was last released
  bool release_armed = false;  // a tick that may release it is on its way
  std::chrono::steady_clock::time_point last_job_end;
  std::shared_ptr<actor_info> info;
  caf::actor pool;
  obs::histogram* latency = nullptr;
  static inline const char* name = "db_worker";
};

/// One connection's actor; spawned `detached` by the pool. Tells the pool
/// `worker_up`/`worker_down`/`worker_idle`. Runs jobs with the caller's role:
/// `(db_exec_atom, job) -> message` one job, `(db_group_atom, job_group) ->
/// group_replies` several committed together (run_group).
caf::behavior db_worker(caf::stateful_actor<worker_state>* self, caf::actor pool, connect_options opts,
                        std::string instance_id, std::shared_ptr<actor_info> info, obs::histogram* latency);

}  // namespace trainia::db
