#pragma once

#include <cstdint>
#include <string>
#include <vector>

/// Message payloads of the AI pipeline (plain structs with `inspect`, as CAF
/// 0.17 requires). Protocols are documented in dispatcher.hpp and worker.hpp.
namespace trainia::ai {

/// A task this process holds the lease of, ready to run.
struct claimed_task {
  std::string id;
  std::string user_id;     // Clerk id of the owner (logs)
  std::string input_json;  // the stored `input` object
  int32_t attempts = 0;    // after this claim: this run's first provider call is counted
  int32_t max_attempts = 0;
  int64_t remaining_ms = 0;  // until the task's deadline, when it was claimed
  bool cancel_requested = false;
  // Started before the COMMIT that created it was durable (see
  // submit_job.cpp): its outcome is written only after (ai_commit_atom, id,
  // true), and it is dropped after (ai_commit_atom, id, false).
  bool uncommitted = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claimed_task& x) {
  return f(x.id, x.user_id, x.input_json, x.attempts, x.max_attempts, x.remaining_ms, x.cancel_requested,
           x.uncommitted);
}

/// A task rendered as the API returns it (api.md "A task").
struct task_doc {
  std::string id;
  std::string status;
  std::string json;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_doc& x) {
  return f(x.id, x.status, x.json);
}

/// A page of GET /api/ai/tasks, rendered.
struct task_page {
  std::string json;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_page& x) {
  return f(x.json);
}

/// The reply of a submit job.
struct submit_result {
  std::string task_id;
  std::string status;   // "queued" for a new task; the current status for a replay
  bool replay = false;  // an earlier submit with the same Idempotency-Key
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_result& x) {
  return f(x.task_id, x.status, x.replay);
}

/// The reply of a cancel job.
struct cancel_result {
  std::string previous;  // status before: queued, running or a finished one
  task_doc task;         // as it is now (empty when it had finished)
  bool ours = false;     // running under this process's lease
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_result& x) {
  return f(x.previous, x.task, x.ours);
}

/// The reply of a claim job.
struct claimed_batch {
  std::vector<claimed_task> tasks;  // now running under this process's lease
  std::vector<std::string> ended;   // failed (no attempts left, deadline) or cancelled instead
  int32_t from_queue = 0;           // how many of all those were queued before
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claimed_batch& x) {
  return f(x.tasks, x.ended, x.from_queue);
}

/// The reply of a lease renewal: the tasks this process still holds, and
/// those of them whose cancellation was requested.
struct lease_batch {
  std::vector<std::string> held;
  std::vector<std::string> cancel;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_batch& x) {
  return f(x.held, x.cancel);
}

/// Task counts by status (statuses without tasks are absent).
struct status_counts {
  std::vector<std::string> status;
  std::vector<int64_t> count;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_counts& x) {
  return f(x.status, x.count);
}

}  // namespace trainia::ai
