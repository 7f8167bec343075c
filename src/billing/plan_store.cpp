#include "billing/plan_store.hpp"

#include "core/time.hpp"
#include "db/tx.hpp"

#include <caf/make_message.hpp>

#include <ctime>

namespace trainia::billing {

std::pair<std::string, std::string> calendar_month(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char start[48], end[48];  // room for any int the compiler cannot rule out
  std::snprintf(start, sizeof start, "%04d-%02d-01T00:00:00.000Z", tm.tm_year + 1900, tm.tm_mon + 1);
  int ny = tm.tm_year + 1900 + (tm.tm_mon == 11 ? 1 : 0);
  int nm = tm.tm_mon == 11 ? 1 : tm.tm_mon + 2;
  std::snprintf(end, sizeof end, "%04d-%02d-01T00:00:00.000Z", ny, nm);
  return {start, end};
}

std::function<caf::message(db::tx&)> load_plan_job(std::string user_id, const plan_catalog& plans) {
  return [user_id = std::move(user_id), &plans](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/active_plan");
    auto r = t.exec(stmt, {user_id});
    if (!r) return caf::make_message(std::move(r.error()));
    plan_info info;
    const plan* p = nullptr;
    if (!r->empty()) p = plans.by_name(r->view(0, 0));
    if (p && !r->is_null(0, 1) && !r->is_null(0, 2)) {
      info.period_start = rfc3339_from_pg(r->view(0, 1));
      info.period_end = rfc3339_from_pg(r->view(0, 2));
    } else {
      // Free, or a paid plan whose period is not known yet: count by calendar month.
      if (!p) p = &plans.free();
      std::tie(info.period_start, info.period_end) = calendar_month(unix_now());
    }
    info.plan = p->name;
    info.ai_runs_per_month = p->ai_runs_per_month;
    info.ai_max_concurrent = p->ai_max_concurrent;
    return caf::make_message(std::move(info));
  };
}

}  // namespace trainia::billing
