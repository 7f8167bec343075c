#pragma once

#include "actors/actor_info.hpp"
#include "db/connection.hpp"
#include "db/job.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <string>

namespace trainia::db {

struct pool_options {
  std::string name;  // "request" or "service": metric label and actor name
  connect_options connect;
  int size = 8;
  int queue_limit = 1024;
  int queue_timeout_ms = 2000;
  std::string instance_id;  // tags NOTIFY payloads of this process (app.origin)
};

/// The most jobs one group commit takes (see group_member). More saves little
/// (the commit is already shared by 16) and costs transient memory on the
/// worker's thread: every member's results are held until COMMIT, and glibc
/// keeps a thread arena's top once it grew.
inline constexpr size_t max_group_jobs = 16;

/// Spawns a pool: a cooperative dispatcher actor that owns `size` detached
/// connection workers (blocking libpq calls never run on scheduler threads).
///
/// Protocol: `(db_exec_atom, job) -> message` — the job's reply. The pool hands
/// the job to an idle connected worker (delegate: the worker answers the
/// caller directly), or queues it (bounded: `queue_limit`, `queue_timeout_ms`).
/// With no connected worker, or a full queue, or a queue wait past the
/// time-out, it answers `service_unavailable` at once — callers never hang
/// while the database is down. Workers reconnect with back-off on their own;
/// a worker that crashes is restarted by the pool (counted as a restart).
/// Group commit: when a connection frees up and the job at the head of the
/// queue is a group member, every queued job that may share its transaction
/// (job::group) goes to that connection with it — one transaction, one
/// commit; counted in trainia_db_grouped_jobs_total. Jobs that find a free
/// connection run at once and alone, so grouping adds no wait.
caf::actor spawn_pool(caf::actor_system& sys, pool_options opts, actor_directory& dir, const std::string& parent);

}  // namespace trainia::db
