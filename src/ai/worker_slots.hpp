#pragma once

#include <atomic>

namespace trainia::ai {

/// The workers of this process that nobody has promised a task to; safe to
/// use from any thread.
///
/// Whoever takes a slot (the dispatcher before a poll, a submit job that
/// claims its new task in the same transaction) owns it and must either have
/// a task run (ai_start_atom to the dispatcher) or give it back.
///
/// A poll holds its slots while its claim runs; a submit that finds no free
/// slot borrows one of those, so a poll never sends a local submit to the
/// queue (where it would wait for a claim of its own). Tasks a poll claimed
/// beyond the slots it still held wait in the dispatcher for a worker, and
/// `free()` stays below zero by that many until they start.
class worker_slots {
 public:
  /// All `n` workers are free (the dispatcher (re)starts).
  void reset(int n);
  /// Takes a free slot, else borrows one a poll holds.
  bool take();
  /// Takes up to `n` free slots; returns how many.
  int take_up_to(int n);
  void give(int n = 1);
  /// A poll starts holding `n` slots it took.
  void poll_holds(int n);
  /// The poll ended having claimed `got` tasks: what it still holds is given
  /// back, or the tasks it claimed beyond that are owed.
  void poll_ended(int got);
  int free() const { return free_.load(std::memory_order_relaxed); }
  int poll_held() const { return poll_held_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> free_{0};
  std::atomic<int> poll_held_{0};
};

}  // namespace trainia::ai
