#pragma once

#include "actors/actor_info.hpp"
#include "ai/call_outcome.hpp"
#include "ai/messages.hpp"

#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <string>
#include <vector>

namespace trainia::ai {

struct pipeline;

/// One run's end, as a worker asks the recorder to persist it.
struct finish_request {
  std::string task_id;
  int32_t attempts = 0;  // attempts of the task so far, this run's included
  call_outcome outcome;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, finish_request& x) {
  return f(x.task_id, x.attempts, x.outcome);
}

struct recorder_state {
  pipeline* pipe = nullptr;
  std::shared_ptr<actor_info> info;
  struct waiting {
    finish_request req;
    caf::response_promise promise;
  };
  std::vector<waiting> queue;  // arrived while the batches in flight were written
  int in_flight = 0;
  static inline const char* name = "ai_recorder";
};

using recorder_pointer = caf::stateful_actor<recorder_state>*;

/// Batches in flight at once; while they are, new requests wait and form the
/// next batch. One: with two, d at 64 connections spent 5–8% more PostgreSQL
/// CPU per task on smaller batches for no lower latency (docs/benchmarks.md).
inline constexpr int recorder_batches_in_flight = 1;
/// Upper bound of one batch.
inline constexpr size_t recorder_batch_max = 128;

/// Persists the ends of runs for the workers of one dispatcher (which spawns
/// it linked: they die together). Group commit: a request is written at once
/// when fewer than `recorder_batches_in_flight` batches are in flight (no
/// timer, no added latency); otherwise it joins the next batch, written in one
/// statement and one COMMIT (ai/finish_batch.sql) as soon as one returns.
/// Each worker is answered only after its own task's row committed.
///
/// Protocol:
///   (ai_finish_atom, finish_request) → task_doc   the task as it ended; empty
///                                                 when this process lost the
///                                                 lease (another one took it over)
///                                    → error      nothing of that batch was written
caf::behavior ai_recorder(recorder_pointer self, pipeline* pipe);

}  // namespace trainia::ai
