#pragma once

#include "actors/actor_info.hpp"
#include "actors/restart_policy.hpp"
#include "actors/root_supervisor.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>

namespace trainia::ai {

struct pipeline;

struct supervisor_state {
  pipeline* pipe = nullptr;
  std::shared_ptr<actor_info> info;
  caf::actor dispatcher;
  restart_tracker tracker;
  bool stopping = false;
  static inline const char* name = "ai_supervisor";
};

/// The AI pipeline's supervisor (a child of the root): starts the dispatcher
/// (which owns the workers), publishes its handle in `pipeline::dispatcher`,
/// and restarts it after a failure with back-off; over its restart budget it
/// fails itself, so the root restarts the whole pipeline. A restarted
/// dispatcher resumes the tasks this process holds.
caf::behavior ai_supervisor(caf::stateful_actor<supervisor_state>* self, pipeline* pipe);

/// The root's child_spec for the pipeline.
child_spec supervisor_spec(pipeline& pipe);

/// Tells the dispatcher (if the pipeline exists and its dispatcher runs) that
/// work may be queued: a task queued by another process. Callable from any
/// thread; never blocks.
void wake_dispatcher(pipeline* pipe);

}  // namespace trainia::ai
