#include "ai/task_view.hpp"

#include "core/time.hpp"

#include <nlohmann/json.hpp>

namespace trainia::ai {

task_doc render_task(const db::result& r, int row, int first) {
  // Keys in the contract's order (api.md "A task").
  using json = nlohmann::ordered_json;
  auto col = [&](int k) { return first + k; };
  task_doc d;
  d.id = r.text(row, col(0));
  d.status = r.text(row, col(1));
  auto input = json::parse(r.view(row, col(2)), nullptr, false);
  json result = nullptr;
  if (!r.is_null(row, col(3))) result = json::parse(r.view(row, col(3)), nullptr, false);
  json j{{"task_id", d.id},
         {"status", d.status},
         {"input", input.is_discarded() ? json::object() : input},
         {"result", result.is_discarded() ? json(nullptr) : result},
         {"error_message", r.is_null(row, col(4)) ? json(nullptr) : json(r.text(row, col(4)))},
         {"attempts", r.int64(row, col(5))},
         {"created_at", rfc3339_from_pg(r.view(row, col(6)))},
         {"updated_at", rfc3339_from_pg(r.view(row, col(7)))}};
  if (r.boolean(row, col(8))) j["cancel_requested"] = true;
  d.json = j.dump();
  return d;
}

}  // namespace trainia::ai
