#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "ai/task_view.hpp"
#include "db/tx.hpp"

namespace trainia::ai {

namespace {

db::param text_or_null(const std::string& s) {
  return s.empty() ? db::param(std::nullopt) : db::param(s);
}
db::param count_or_null(int64_t v) {
  return v < 0 ? db::param(std::nullopt) : db::param(v);
}

}  // namespace

job_fn claim_job(const pipeline& p, int n, bool include_own, std::optional<std::string> only_id) {
  return [owner = p.svc.instance_id, lease = p.cfg.ai_lease_seconds, n, include_own,
          only_id = std::move(only_id)](db::tx& t) -> caf::message {
    static const auto& claim = db::sql("ai/claim");
    auto r = t.exec_commit(claim, {owner, n, lease, include_own, only_id});
    if (!r) return caf::make_message(std::move(r.error()));
    claimed_batch b;
    for (int i = 0; i < r->rows(); ++i) {
      if (r->view(i, 2) == "queued") ++b.from_queue;
      if (r->view(i, 1) != "running") {
        b.ended.push_back(r->text(i, 0));
        continue;
      }
      claimed_task task;
      task.id = r->text(i, 0);
      task.input_json = r->text(i, 3);
      task.attempts = static_cast<int32_t>(r->int64(i, 5));
      task.max_attempts = static_cast<int32_t>(r->int64(i, 6));
      task.remaining_ms = r->int64(i, 7);
      task.user_id = r->text(i, 8);
      b.tasks.push_back(std::move(task));
    }
    return caf::make_message(std::move(b));
  };
}

job_fn finish_job(const pipeline& p, std::string task_id, int32_t attempts, call_outcome o) {
  return [owner = p.svc.instance_id, id = std::move(task_id), attempts, o = std::move(o)](db::tx& t) -> caf::message {
    static const auto& finish = db::sql("ai/finish");
    auto r = t.exec_commit(
        finish, {id, owner, o.status, text_or_null(o.result_json), text_or_null(o.error_message), attempts,
                 text_or_null(o.finish_reason), count_or_null(o.prompt_tokens), count_or_null(o.completion_tokens),
                 count_or_null(o.total_tokens), std::min<int64_t>(o.latency_ms, INT32_MAX), o.refund});
    if (!r) return caf::make_message(std::move(r.error()));
    if (r->empty()) return caf::make_message(task_doc{});
    return caf::make_message(render_task(*r, 0));
  };
}

job_fn renew_job(const pipeline& p) {
  return [owner = p.svc.instance_id, lease = p.cfg.ai_lease_seconds](db::tx& t) -> caf::message {
    static const auto& renew = db::sql("ai/renew_leases");
    auto r = t.exec_commit(renew, {owner, lease});
    if (!r) return caf::make_message(std::move(r.error()));
    lease_batch b;
    for (int i = 0; i < r->rows(); ++i) {
      b.held.push_back(r->text(i, 0));
      if (r->boolean(i, 1)) b.cancel.push_back(r->text(i, 0));
    }
    return caf::make_message(std::move(b));
  };
}

job_fn count_job() {
  return [](db::tx& t) -> caf::message {
    static const auto& count = db::sql("ai/count_by_status");
    auto r = t.exec(count, {});
    if (!r) return caf::make_message(std::move(r.error()));
    status_counts c;
    for (int i = 0; i < r->rows(); ++i) {
      c.status.push_back(r->text(i, 0));
      c.count.push_back(r->int64(i, 1));
    }
    return caf::make_message(std::move(c));
  };
}

job_fn finished_tasks_job(std::vector<std::string> ids) {
  return [ids = std::move(ids)](db::tx& t) -> caf::message {
    static const auto& finished = db::sql("ai/finished_tasks");
    // A PostgreSQL array literal; the ids are UUIDs this process handed out.
    std::string list = "{";
    for (size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + ids[i];
    list += '}';
    auto r = t.exec(finished, {list});
    if (!r) return caf::make_message(std::move(r.error()));
    std::vector<task_doc> docs;
    for (int i = 0; i < r->rows(); ++i) docs.push_back(render_task(*r, i));
    return caf::make_message(std::move(docs));
  };
}

}  // namespace trainia::ai
