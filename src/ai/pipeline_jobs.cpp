#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "ai/task_view.hpp"
#include "db/array_literal.hpp"
#include "db/tx.hpp"

#include <unordered_map>

namespace trainia::ai {

namespace {

std::optional<std::string_view> text_or_null(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return std::string_view(s);
}
std::optional<long long> count_or_null(int64_t v) {
  if (v < 0) return std::nullopt;
  return static_cast<long long>(v);
}

}  // namespace

job_fn claim_job(const pipeline& p, int n, bool include_own, bool with_expired, std::optional<std::string> only_id) {
  return [owner = p.svc.instance_id, lease = p.cfg.ai_lease_seconds, n, include_own, with_expired,
          only_id = std::move(only_id)](db::tx& t) -> caf::message {
    static const auto& claim = db::sql("ai/claim");
    auto r = t.exec_commit(claim, {owner, n, lease, include_own, only_id, with_expired});
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

job_fn finish_batch_job(const pipeline& p, std::vector<finish_request> reqs) {
  return [owner = p.svc.instance_id, reqs = std::move(reqs)](db::tx& t) -> caf::message {
    static const auto& finish = db::sql("ai/finish_batch");
    auto n = reqs.size();
    std::vector<std::string_view> ids, statuses;
    std::vector<std::optional<std::string_view>> results, errors, reasons;
    std::vector<long long> attempts;
    std::vector<std::optional<long long>> prompt, completion, total, latency;
    std::vector<bool> refunds;
    for (const auto& r : reqs) {
      const auto& o = r.outcome;
      ids.push_back(r.task_id);
      statuses.push_back(o.status);
      results.push_back(text_or_null(o.result_json));
      errors.push_back(text_or_null(o.error_message));
      reasons.push_back(text_or_null(o.finish_reason));
      attempts.push_back(r.attempts);
      prompt.push_back(count_or_null(o.prompt_tokens));
      completion.push_back(count_or_null(o.completion_tokens));
      total.push_back(count_or_null(o.total_tokens));
      latency.push_back(std::min<int64_t>(o.latency_ms, INT32_MAX));
      refunds.push_back(o.refund);
    }
    auto r = t.exec_commit(finish, {owner, db::text_array(ids), db::text_array(statuses),
                                    db::nullable_text_array(results), db::nullable_text_array(errors),
                                    db::int_array(attempts), db::nullable_text_array(reasons),
                                    db::nullable_int_array(prompt), db::nullable_int_array(completion),
                                    db::nullable_int_array(total), db::nullable_int_array(latency),
                                    db::bool_array(refunds)});
    if (!r) return caf::make_message(std::move(r.error()));
    std::unordered_map<std::string_view, int> row_of;
    for (int i = 0; i < r->rows(); ++i) row_of.emplace(r->view(i, 0), i);
    std::vector<task_doc> docs(n);
    for (size_t k = 0; k < n; ++k)
      if (auto it = row_of.find(reqs[k].task_id); it != row_of.end()) docs[k] = render_task(*r, it->second);
    return caf::make_message(std::move(docs));
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

job_fn announce_job() {
  return [](db::tx& t) -> caf::message {
    static const auto& announce = db::sql("ai/announce_queued");
    auto r = t.exec_commit(announce, {});
    if (!r) return caf::make_message(std::move(r.error()));
    return caf::make_message(true);
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
