#pragma once

#include "actors/actor_info.hpp"
#include "ai/messages.hpp"

#include <caf/actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace trainia::ai {

struct pipeline;

struct dispatcher_state {
  pipeline* pipe = nullptr;
  std::shared_ptr<actor_info> info;

  struct worker_slot {
    caf::actor handle;
    std::optional<claimed_task> task;  // what it runs: retried if it crashes
    bool called = false;               // its run's work is over; it only persists the outcome
    int generation = 0;
  };
  caf::actor recorder;  // ai_recorder: persists the workers' outcomes
  // Twice ai.concurrency workers: a worker whose provider call ended gives its
  // slot to the next task while it still waits for its outcome's COMMIT.
  std::vector<worker_slot> workers;
  std::vector<size_t> idle;                         // indexes into `workers`
  int calling = 0;                                  // workers running a task (≤ ai.concurrency)
  int max_calling = 0;                              // ai.concurrency
  struct pending_task {
    claimed_task task;
    std::chrono::steady_clock::time_point since;  // its wait here counts against its deadline
  };
  std::deque<pending_task> pending;                 // claimed, waiting for a slot and a worker
  std::unordered_map<std::string, size_t> running;  // task id → worker index
  // Tasks whose worker crashed before the COMMIT that created them ended:
  // claimed again once it succeeds (each holds a slot meanwhile).
  std::unordered_set<std::string> crashed_uncommitted;

  // Callers waiting for a task to end here (?wait, cancel).
  // Their time limits share one timer (the earliest deadline): a delayed
  // message per waiter could not be cancelled and would hold its memory for
  // the whole `wait` after the task ended.
  struct waiter {
    uint64_t id;
    std::chrono::steady_clock::time_point deadline;
    caf::response_promise promise;
  };
  std::unordered_map<std::string, std::vector<waiter>> waiters;  // by task id
  std::map<std::pair<std::chrono::steady_clock::time_point, uint64_t>, std::string> deadlines;  // → task id
  uint64_t next_waiter = 0;
  std::chrono::steady_clock::time_point expiry_armed_at = std::chrono::steady_clock::time_point::max();
  uint64_t expiry_generation = 0;  // an ai_expire_atom of an older generation was superseded
  // Tasks that ended here lately, for a waiter that arrives after the end.
  std::unordered_map<std::string, std::string> recent;  // task id → task JSON
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> recent_order;

  std::chrono::steady_clock::time_point last_announce{};
  std::chrono::steady_clock::time_point last_expired_scan{};  // the last claim that looked for expired leases
  bool announce_armed = false;  // a delayed ai_announce_atom is on its way
  bool polling = false;
  bool poll_again = false;
  // A poll was due but every slot was taken: whatever woke it (a full claim,
  // a wake-up from another process) is remembered until a slot frees.
  bool poll_owed = false;
  bool first_poll = true;     // also resumes tasks this process already holds
  uint64_t inserts_seen = 0;  // pipeline::queued_inserts at the last poll
  bool renewing = false;
  bool counting = false;
  bool checking_remote = false;
  // Poll failures are logged once a minute at most, and not while the pools
  // are still connecting at start-up.
  std::chrono::steady_clock::time_point last_poll_warning = std::chrono::steady_clock::now();
  uint64_t handled = 0;

  static inline const char* name = "ai_dispatcher";
};

using dispatcher_pointer = caf::stateful_actor<dispatcher_state>*;

/// The AI dispatcher: owns this process's share of the queue and its
/// workers (spawned linked, restarted after a crash with their task claimed
/// again). At most `ai.concurrency` tasks run at once; a task's slot is free
/// as soon as its run's work is over (ai_called_atom), before its outcome is
/// committed, so the provider's concurrency is not held idle by database
/// writes (hence 2 × ai.concurrency workers). The queue itself lives in PostgreSQL and is
/// shared by every process: the dispatcher claims with FOR UPDATE SKIP LOCKED
/// and a lease (owner = the instance id), renews its leases every
/// ai.lease_seconds / 3 (learning of cancellations requested elsewhere), and
/// takes over tasks whose lease expired. It polls when it has free workers —
/// at once on start (resuming what the database holds), every
/// ai.poll_interval_ms, right after a task ends while work may be queued, and
/// on `ai_wake_atom`. It refreshes trainia_ai_tasks{status} every
/// ai.metrics_interval_ms. Waiters are woken in-process when their task ends
/// here; for a task another process runs, the dispatcher checks the waited-on
/// tasks in one query per poll interval (until a LISTEN/NOTIFY wake-up
/// replaces it). Tasks running when the process stops keep
/// its lease until it runs out (the pools stop together with the pipeline, so
/// nothing can be handed back); then any process takes them over.
///
/// Protocol (`caf::actor`):
///   (ai_start_atom, claimed_task)               a task a submit claimed for this process
///                                               (its worker slot already taken), possibly
///                                               before its COMMIT ended (uncommitted)
///   ai_wake_atom                                poll now (the spot for a LISTEN/NOTIFY wake-up)
///   ai_announce_atom                            a local submit queued a task: NOTIFY the other
///                                               processes (at most once per announce window)
///   (ai_wait_atom, task id, ms) -> std::string  the task's JSON when it ends here within
///                                               `ms`, else "" (answered at the latest then)
///   (ai_cancel_atom, task id) -> std::string    abandons the task if it runs here and answers
///                                               its final JSON (≤ 5 s), else "" at once
///   (ai_commit_atom, task id, ok)               from a submit: the COMMIT that created a task
///                                               it started early ended (ok: it succeeded)
///   (ai_called_atom, task id)                   from a worker: the run's work is over, its
///                                               outcome is being persisted (the slot is free)
///   (ai_called_atom, task id, worker address)   the same, sent from the outbound client's thread
///                                               the moment the worker's provider call ended
///   (ai_done_atom, task id, task_doc)           from a worker: the task ended
caf::behavior ai_dispatcher(dispatcher_pointer self, pipeline* pipe);

}  // namespace trainia::ai
