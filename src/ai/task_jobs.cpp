#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "ai/task_view.hpp"
#include "core/error.hpp"
#include "db/tx.hpp"

#include <ctime>

namespace trainia::ai {

namespace {

caf::message no_such_task() {
  return caf::make_message(fail(errc::not_found, "no such task"));
}

/// Microseconds since the epoch as RFC 3339 UTC with all six fraction digits.
std::string timestamp_us(int64_t us) {
  int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  int64_t frac = us - secs * 1000000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

bool finished(std::string_view status) {
  return status == "succeeded" || status == "failed" || status == "cancelled";
}

}  // namespace

job_fn get_task_job(std::string task_id) {
  return [id = std::move(task_id)](db::tx& t) -> caf::message {
    static const auto& get = db::sql("ai/get_task");
    auto r = t.exec(get, {id});
    if (!r) return caf::make_message(std::move(r.error()));
    if (r->empty()) return no_such_task();
    return caf::make_message(render_task(*r, 0));
  };
}

job_fn list_tasks_job(int limit, std::optional<int64_t> before_us) {
  return [limit, before_us](db::tx& t) -> caf::message {
    static const auto& list = db::sql("ai/list_tasks");
    db::param before = before_us ? db::param(timestamp_us(*before_us)) : db::param(std::nullopt);
    // One row more than asked tells whether there is a next page.
    auto r = t.exec(list, {limit + 1, before});
    if (!r) return caf::make_message(std::move(r.error()));
    int n = std::min(r->rows(), limit);
    std::string out = "{\"tasks\":[";
    for (int i = 0; i < n; ++i) {
      if (i) out += ',';
      out += render_task(*r, i).json;
    }
    out += "],\"next_before\":";
    // The cursor keeps microseconds: a millisecond one could skip tasks
    // created within the same millisecond as the last one shown.
    if (r->rows() > limit)
      out += "\"" + r->text(n - 1, 9) + "\"";
    else
      out += "null";
    out += '}';
    return caf::make_message(task_page{std::move(out)});
  };
}

job_fn cancel_task_job(pipeline& p, std::string task_id) {
  return [&p, id = std::move(task_id)](db::tx& t) -> caf::message {
    static const auto& cancel = db::sql("ai/cancel_task");
    auto r = t.exec(cancel, {id});
    if (!r) return caf::make_message(std::move(r.error()));
    if (r->empty()) return no_such_task();
    cancel_result c;
    c.previous = r->text(0, 0);
    if (!r->is_null(0, 1)) {
      c.task = render_task(*r, 0, 1);
      c.ours = !r->is_null(0, 10) && r->view(0, 10) == p.svc.instance_id;
    }
    if (c.previous == "queued") p.queued_changed(-1);
    if (finished(c.previous)) return caf::make_message(fail(errc::conflict, "the task has already finished"));
    return caf::make_message(std::move(c));
  };
}

}  // namespace trainia::ai
