#include "ai/pipeline.hpp"

namespace trainia::ai {

pipeline::pipeline(services& s) : svc(s), cfg(s.cfg), provider(choose_provider(s.cfg, s.outbound != nullptr)) {
  provider_duration = &s.metrics.ai_provider_duration.with({});
  for (size_t i = 0; i < statuses.size(); ++i) by_status[i] = &s.metrics.ai_tasks.with({{"status", statuses[i]}});
}

void pipeline::queued_changed(int64_t delta) {
  auto v = queued_hint.load(std::memory_order_relaxed);
  while (!queued_hint.compare_exchange_weak(v, std::max<int64_t>(0, v + delta), std::memory_order_relaxed)) {
  }
}

}  // namespace trainia::ai
