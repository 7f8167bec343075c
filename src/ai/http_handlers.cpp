#include "ai/http_handlers.hpp"

#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "core/time.hpp"
#include "http/call.hpp"

#include <nlohmann/json.hpp>

namespace trainia::ai {

namespace {

using http::context_ptr;
using http::status;

constexpr int max_wait_seconds = 60;
constexpr int default_page = 20;
constexpr int max_page = 100;
// Slack for the reply to travel back after a wait ends.
constexpr std::chrono::milliseconds wait_margin{2000};

bool finished(std::string_view s) {
  return s == "succeeded" || s == "failed" || s == "cancelled";
}

std::string accepted_body(const std::string& id, const std::string& status) {
  return nlohmann::ordered_json{{"task_id", id}, {"status", status}}.dump();
}

db::job read_job(std::string id) {
  return db::job{{}, "ai/get_task", get_task_job(std::move(id))};
}

/// The task as it is now: 200 when it has finished, else 202.
void answer_from_database(const context_ptr& ctx, const std::string& id) {
  http::call_session(
      ctx,
      [ctx](task_doc& d) {
        if (finished(d.status)) return ctx->respond_json(status::ok, d.json);
        ctx->respond_json(status::accepted, accepted_body(d.id, d.status));
      },
      user_read_atom::value, read_job(id));
}

/// Waits (in the dispatcher, woken when the task ends here) up to `seconds`.
void wait_for(const context_ptr& ctx, const std::string& id, int seconds) {
  auto dispatcher = ctx->app.svc.ai->dispatcher.get();
  if (!dispatcher) return answer_from_database(ctx, id);
  auto limit = std::chrono::milliseconds(seconds * 1000);
  ctx->in_actor([ctx, dispatcher, id, limit](caf::event_based_actor* self) {
    // No CAF time-out: a pending one would keep this connection's bridge
    // alive (and hold up shutdown) until it fired. The dispatcher answers by
    // `limit` at the latest, and answers "" to every waiter if it stops.
    self->request(dispatcher, caf::infinite, ai_wait_atom::value, id, static_cast<int64_t>(limit.count()))
        .then(
            [ctx, id](std::string& json) {
              if (!json.empty()) return ctx->respond_json(status::ok, std::move(json));
              // Not ended here in time (or it ran in another process): read it once.
              answer_from_database(ctx, id);
            },
            [ctx, id](caf::error& e) {
              if (is(e, errc::service_unavailable)) return ctx->fail(e);  // shutting down
              answer_from_database(ctx, id);
            });
  });
}

std::optional<int> wait_seconds(const context_ptr& ctx, caf::error& err) {
  auto w = ctx->query("wait");
  if (!w) return 0;
  auto n = parse_count(*w);
  if (!n || *n > max_wait_seconds) {
    err = fail_validation({{"wait", "must be an integer number of seconds from 0 to 60"}});
    return std::nullopt;
  }
  return n;
}

}  // namespace

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::optional<int> parse_count(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

void http_run(const context_ptr& ctx) {
  auto* pipe = ctx->app.svc.ai;
  caf::error err;
  auto wait = wait_seconds(ctx, err);
  if (!wait) return ctx->fail(err);
  auto in = validate_submit(ctx->req.body(), ctx->app.cfg);
  if (!in) return ctx->fail(in.error());
  std::optional<std::string> key;
  if (ctx->req.find("idempotency-key") != ctx->req.end()) {
    auto k = ctx->header("idempotency-key");
    if (auto why = check_idempotency_key(k); !why.empty())
      return ctx->fail(fail_validation({{"Idempotency-Key", why}}));
    key = std::string(k);
  }
  if (!pipe || pipe->provider.kind == provider_kind::none)
    return ctx->fail(fail_unavailable(pipe ? pipe->provider.unavailable : "the AI pipeline is not running", 30,
                                      "ai provider unavailable"));
  int seconds = *wait;
  if (seconds > 0) {
    auto needed = std::chrono::milliseconds(seconds * 1000) + 2 * wait_margin;
    ctx->extend_deadline(std::max(needed, std::chrono::milliseconds(ctx->app.cfg.http_request_timeout_ms)));
  }
  http::call_session(
      ctx,
      [ctx, seconds](submit_result& r) {
        if (seconds == 0) return ctx->respond_json(status::accepted, accepted_body(r.task_id, r.status));
        if (r.replay && finished(r.status)) return answer_from_database(ctx, r.task_id);
        wait_for(ctx, r.task_id, seconds);
      },
      plan_write_atom::value, submit_job(*pipe, std::move(*in), std::move(key)));
}

void http_get_task(const context_ptr& ctx) {
  const auto& id = ctx->params.at(0);
  if (!is_uuid(id)) return ctx->fail(fail(errc::not_found, "no such task"));
  http::call_session(
      ctx, [ctx](task_doc& d) { ctx->respond_json(status::ok, std::move(d.json)); }, user_read_atom::value,
      read_job(id));
}

void http_list_tasks(const context_ptr& ctx) {
  std::vector<field_error> errors;
  int limit = default_page;
  if (auto l = ctx->query("limit")) {
    auto n = parse_count(*l);
    if (!n || *n < 1 || *n > max_page)
      errors.push_back({"limit", "must be an integer from 1 to 100"});
    else
      limit = *n;
  }
  std::optional<int64_t> before;
  if (auto b = ctx->query("before")) {
    before = parse_rfc3339_us(*b);
    if (!before) errors.push_back({"before", "must be an RFC 3339 timestamp"});
  }
  if (!errors.empty()) return ctx->fail(fail_validation(std::move(errors)));
  http::call_session(
      ctx, [ctx](task_page& p) { ctx->respond_json(status::ok, std::move(p.json)); }, user_read_atom::value,
      db::job{{}, "ai/list_tasks", list_tasks_job(limit, before)});
}

void http_cancel_task(const context_ptr& ctx) {
  const auto& id = ctx->params.at(0);
  auto* pipe = ctx->app.svc.ai;
  if (!is_uuid(id)) return ctx->fail(fail(errc::not_found, "no such task"));
  http::call_session(
      ctx,
      [ctx, pipe](cancel_result& c) {
        auto dispatcher = pipe->dispatcher.get();
        if (c.previous != "running" || !c.ours || !dispatcher)
          return ctx->respond_json(status::ok, std::move(c.task.json));
        // It runs here: abandon the provider call and answer the final state.
        auto fallback = std::make_shared<std::string>(std::move(c.task.json));
        ctx->in_actor([ctx, dispatcher, id = c.task.id, fallback](caf::event_based_actor* self) {
          self->request(dispatcher, caf::infinite, ai_cancel_atom::value, id)  // answered within 5 s
              .then(
                  [ctx, fallback](std::string& json) {
                    ctx->respond_json(status::ok, json.empty() ? std::move(*fallback) : std::move(json));
                  },
                  [ctx, fallback](caf::error&) { ctx->respond_json(status::ok, std::move(*fallback)); });  // stopping
        });
      },
      user_write_atom::value, db::job{{}, "ai/cancel_task", cancel_task_job(*pipe, id)});
}

}  // namespace trainia::ai
