#pragma once

#include "actors/handle_slot.hpp"
#include "actors/services.hpp"
#include "ai/provider.hpp"
#include "ai/worker_slots.hpp"

#include <array>
#include <atomic>
#include <memory>

namespace trainia::ai {

/// Tasks a process claims ahead of its provider calls (half of
/// ai.concurrency, none when it is 1), so that a call ending starts the next
/// one without waiting for a claim: calls that start together end together,
/// and much of such a wave is then replaced at once. Bounded, so that other
/// processes on the same database still find queued work, and so that with
/// a small concurrency a task waits `queued` (cancellable at once) rather
/// than claimed.
inline int claim_ahead(int concurrency) { return concurrency / 2; }

/// The task statuses, in the order of `pipeline::by_status`.
constexpr std::array<const char*, 5> statuses = {"queued", "running", "succeeded", "failed", "cancelled"};

/// What the AI pipeline's actors, its database jobs (on pool threads) and its
/// HTTP handlers share. Created by `serve` before the actor system starts and
/// destroyed after it stopped; every member is safe to use from any thread.
///
/// Capacity: `slots` counts the tasks this process may still take on (see
/// worker_slots): ai.concurrency provider calls at once, plus claim_ahead()
/// tasks claimed ahead of them. A task claimed ahead is `running` in the
/// database (its lease is held and renewed) and waits in the dispatcher until
/// one of this process's calls ends, so a freed call starts the next task at
/// once instead of after a claim's round trip and commit.
struct pipeline {
  explicit pipeline(services& s);

  services& svc;
  const config& cfg;
  provider_config provider;
  handle_slot<> dispatcher;  // the current dispatcher; empty while it restarts

  worker_slots slots;
  /// Queued tasks as this process last knew them (a database count every
  /// ai.metrics_interval_ms, adjusted by local submits, claims and cancels);
  /// what the submit path compares with ai.queue_limit.
  std::atomic<int64_t> queued_hint{0};
  /// Tasks this process inserted as queued, ever (tells the dispatcher that a
  /// poll may find work it could not see before).
  std::atomic<uint64_t> queued_inserts{0};
  /// A local submit queued a task that the other processes were not told
  /// of yet; the dispatcher announces it (ai_announce_atom).
  std::atomic<bool> announce_owed{false};

  obs::histogram* provider_duration = nullptr;
  std::array<obs::gauge*, statuses.size()> by_status{};

  /// One queued task more (+1) or fewer (−n), never below zero.
  void queued_changed(int64_t delta);
};

}  // namespace trainia::ai
