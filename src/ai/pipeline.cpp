#include "ai/pipeline.hpp"

namespace trainia::ai {

pipeline::pipeline(services& s) : svc(s), cfg(s.cfg), provider(choose_provider(s.cfg, s.outbound != nullptr)) {
  provider_duration = &s.metrics.ai_provider_duration.with({});
  for (size_t i = 0; i < statuses.size(); ++i) by_status[i] = &s.metrics.ai_tasks.with({{"status", statuses[i]}});
}

bool pipeline::take_slot() {
  return take_slots(1) == 1;
}

int pipeline::take_slots(int n) {
  int free = free_slots.load(std::memory_order_relaxed);
  while (free > 0) {
    int take = std::min(free, n);
    if (free_slots.compare_exchange_weak(free, free - take, std::memory_order_acq_rel)) return take;
  }
  return 0;
}

void pipeline::give_slots(int n) {
  if (n > 0) free_slots.fetch_add(n, std::memory_order_acq_rel);
}

void pipeline::queued_changed(int64_t delta) {
  auto v = queued_hint.load(std::memory_order_relaxed);
  while (!queued_hint.compare_exchange_weak(v, std::max<int64_t>(0, v + delta), std::memory_order_relaxed)) {
  }
}

}  // namespace trainia::ai
