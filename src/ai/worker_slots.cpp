#include "ai/worker_slots.hpp"

#include <algorithm>

namespace trainia::ai {

void worker_slots::reset(int n) {
  poll_held_.store(0, std::memory_order_relaxed);
  free_.store(n, std::memory_order_release);
}

bool worker_slots::take() {
  if (take_up_to(1) == 1) return true;
  int held = poll_held_.load(std::memory_order_relaxed);
  while (held > 0)
    if (poll_held_.compare_exchange_weak(held, held - 1, std::memory_order_acq_rel)) return true;
  return false;
}

int worker_slots::take_up_to(int n) {
  int v = free_.load(std::memory_order_relaxed);
  while (v > 0) {
    int take = std::min(v, n);
    if (free_.compare_exchange_weak(v, v - take, std::memory_order_acq_rel)) return take;
  }
  return 0;
}

void worker_slots::give(int n) {
  if (n > 0) free_.fetch_add(n, std::memory_order_acq_rel);
}

void worker_slots::poll_holds(int n) {
  poll_held_.store(n, std::memory_order_release);
}

void worker_slots::poll_ended(int got) {
  int left = poll_held_.exchange(0, std::memory_order_acq_rel);
  free_.fetch_add(left - got, std::memory_order_acq_rel);
}

}  // namespace trainia::ai
