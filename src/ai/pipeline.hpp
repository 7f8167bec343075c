#pragma once

#include "actors/handle_slot.hpp"
#include "actors/services.hpp"
#include "ai/provider.hpp"

#include <array>
#include <atomic>
#include <memory>

namespace trainia::ai {

/// The task statuses, in the order of `pipeline::by_status`.
constexpr std::array<const char*, 5> statuses = {"queued", "running", "succeeded", "failed", "cancelled"};

/// What the AI pipeline's actors, its database jobs (on pool threads) and its
/// HTTP handlers share. Created by `serve` before the actor system starts and
/// destroyed after it stopped; every member is safe to use from any thread.
///
/// Capacity: `free_slots` counts workers of this process that nobody has
/// promised a task to. Whoever decrements it (the dispatcher before a poll, a
/// submit job that claims its new task in the same transaction) owns that
/// slot and must either have a task run (ai_start_atom to the dispatcher) or
/// give the slot back. The dispatcher resets it when it (re)starts.
struct pipeline {
  explicit pipeline(services& s);

  services& svc;
  const config& cfg;
  provider_config provider;
  handle_slot<> dispatcher;  // the current dispatcher; empty while it restarts

  std::atomic<int> free_slots{0};
  /// Queued tasks as this process last knew them (a database count every
  /// ai.metrics_interval_ms, adjusted by local submits, claims and cancels);
  /// what the submit path compares with ai.queue_limit.
  std::atomic<int64_t> queued_hint{0};
  /// Tasks this process inserted as queued, ever (tells the dispatcher that a
  /// poll may find work it could not see before).
  std::atomic<uint64_t> queued_inserts{0};

  obs::histogram* provider_duration = nullptr;
  std::array<obs::gauge*, statuses.size()> by_status{};

  /// Takes a free slot if there is one.
  bool take_slot();
  /// Takes up to `n` free slots; returns how many.
  int take_slots(int n);
  void give_slots(int n = 1);
  /// One queued task more (+1) or fewer (−n), never below zero.
  void queued_changed(int64_t delta);
};

}  // namespace trainia::ai
