#pragma once

#include "actors/actor_info.hpp"
#include "ai/call_outcome.hpp"
#include "ai/messages.hpp"
#include "ai/provider.hpp"
#include "net/outbound_client.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <optional>

namespace trainia::ai {

struct pipeline;

struct worker_state {
  pipeline* pipe = nullptr;
  caf::actor dispatcher;
  caf::actor recorder;  // persists the outcome (ai_recorder)
  std::shared_ptr<actor_info> info;

  std::optional<claimed_task> current;
  std::optional<task_input> input;
  uint64_t gen = 0;                        // which run a provider reply or a save retry belongs to
  std::shared_ptr<net::call_handle> call;  // the provider call in flight (also cancelled on exit)
  std::chrono::steady_clock::time_point deadline;
  bool cancel_requested = false;
  std::optional<call_outcome> unsaved;  // the outcome while it is being persisted
  int save_failures = 0;

  static inline const char* name = "ai_worker";
};

using worker_pointer = caf::stateful_actor<worker_state>*;

/// One AI worker: runs one task at a time for the dispatcher, which spawned it
/// (linked: they die together) and restarts it after a crash. Nothing here
/// blocks: the provider call goes through the outbound client, the database
/// through the service pool.
///
/// Protocol:
///   (ai_run_atom, claimed_task)   start the task (the dispatcher's lease);
///                                 a task flagged cancel_requested ends as cancelled
///   (ai_cancel_atom, task id)     abandon that task's provider call; it ends
///                                 `cancelled` (ignored for any other task)
///   (ai_commit_atom, task id, ok) the COMMIT that created an uncommitted task
///                                 ended: its outcome may be written (ok), or
///                                 the run is dropped (the task was never stored)
///   (run_atom, net::actor_task)   a provider reply (net::call_from_actor)
///   (ai_retry_atom, gen)          retry persisting the outcome
/// When the run's work is over (the provider answered, or the task ends
/// without a call) it sends (ai_called_atom, task id) to the dispatcher, which
/// frees the task's concurrency slot; then the outcome is persisted through
/// `recorder` (its batches commit the ends of many runs at once). When the
/// outcome is persisted it sends (ai_done_atom, task id, task_doc) to the
/// dispatcher (an empty task_doc when the lease was lost).
///
/// Test hook (test_hooks only): a task whose prompt is exactly
/// "__trainia_test_crash_worker__" makes the worker throw on its first attempt.
caf::behavior ai_worker(worker_pointer self, pipeline* pipe, caf::actor dispatcher, caf::actor recorder,
                        std::string name);

/// The prompt that makes a worker crash when test hooks are on.
constexpr const char* crash_prompt = "__trainia_test_crash_worker__";

}  // namespace trainia::ai
