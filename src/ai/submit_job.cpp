#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "core/error.hpp"
#include "db/tx.hpp"

#include <caf/send.hpp>
#include <nlohmann/json.hpp>

namespace trainia::ai {

namespace {

caf::message error_reply(caf::error e) {
  return caf::make_message(std::move(e));
}

caf::error quota_exceeded(const plan_info& plan, int64_t used) {
  error_info info;
  info.message = "the AI run quota of your plan is used up for this period";
  info.details_json = nlohmann::json{{"plan", plan.plan}, {"limit", plan.ai_runs_per_month}, {"used", used}}.dump();
  return caf::make_error(errc::quota_exceeded, std::move(info));
}

caf::error too_many_in_flight(int32_t limit) {
  return fail_rate_limited("you already have " + std::to_string(limit) + " AI task" + (limit == 1 ? "" : "s") +
                             " queued or running; wait for one to finish",
                           1);
}

/// A worker slot taken for the new task; given back unless handed on.
class slot_guard {
 public:
  explicit slot_guard(pipeline& p) : p_(p), taken_(p.dispatcher.get() && p.slots.take()) {}
  ~slot_guard() {
    if (taken_) p_.slots.give(1);
  }
  bool taken() const { return taken_; }
  void handed_on() { taken_ = false; }

 private:
  pipeline& p_;
  bool taken_;
};

caf::message replay_or_conflict(const db::result& found) {
  if (!found.boolean(0, 2))
    return error_reply(fail(errc::conflict, "this Idempotency-Key was already used for a different request"));
  return caf::make_message(submit_result{found.text(0, 0), found.text(0, 1), true});
}

}  // namespace

plan_job submit_job(pipeline& p, task_input in, std::optional<std::string> key) {
  return [&p, input = in.to_json(), model = in.model, key = std::move(key)](const plan_info& plan) {
    db::job j;
    j.label = "ai/submit";
    j.fn = [&p, input, model, key, plan](db::tx& t) -> caf::message {
      static const auto& ensure = db::sql("ai/ensure_profile");
      static const auto& find = db::sql("ai/find_by_key");
      static const auto& reserve = db::sql("ai/reserve_run");
      static const auto& usage = db::sql("ai/usage_now");
      static const auto& in_flight = db::sql("ai/in_flight");
      static const auto& insert = db::sql("ai/insert_task");
      const auto& user = t.who().user_id;
      db::param key_param = key ? db::param(*key) : db::param(std::nullopt);
      // One round trip. Each statement sees those before it; the in-flight
      // count runs after the reservation's row lock, so it sees any task a
      // concurrent submit of this user committed meanwhile. Without an
      // Idempotency-Key there is nothing to look up.
      std::vector<std::pair<const db::statement*, db::params>> batch;
      batch.reserve(4);
      batch.push_back({&ensure, {user}});
      if (key) batch.push_back({&find, {user, key_param, input}});
      batch.push_back({&reserve, {user, plan.period_start, plan.period_end, plan.ai_runs_per_month, key_param}});
      batch.push_back({&in_flight, {user}});
      auto checks = t.exec_batch(batch, false);
      if (!checks) return error_reply(std::move(checks.error()));
      const auto& r = *checks;
      const size_t at = key ? 2 : 1;  // the reservation's result
      if (key && !r[1].empty()) return replay_or_conflict(r[1]);
      if (r[at].empty()) {
        // Refused: read the usage for the error's details (the rare path).
        auto used = t.exec(usage, {user, plan.period_start});
        if (!used) return error_reply(std::move(used.error()));
        return error_reply(quota_exceeded(plan, used->int64(0, 0)));
      }
      if (r[at + 1].int64(0, 0) >= plan.ai_max_concurrent)
        return error_reply(too_many_in_flight(plan.ai_max_concurrent));

      slot_guard slot(p);
      if (!slot.taken() && p.queued_hint.load(std::memory_order_relaxed) >= p.cfg.ai_queue_limit)
        return error_reply(fail_unavailable("the AI queue is full; retry shortly", 5, "ai queue at its limit"));
      auto ins = t.exec_commit(insert, {user, input, model, key_param, p.cfg.ai_max_attempts, p.cfg.ai_task_deadline_ms,
                                        plan.period_start, slot.taken(), p.svc.instance_id, p.cfg.ai_lease_seconds});
      if (!ins) return error_reply(std::move(ins.error()));
      if (ins->empty()) {
        // A concurrent submit with the same key won; our reservation was undone.
        auto again = t.exec(find, {user, key_param, input});
        if (!again) return error_reply(std::move(again.error()));
        if (again->empty())
          return error_reply(fail(errc::conflict, "a concurrent request with this Idempotency-Key failed"));
        return replay_or_conflict(*again);
      }
      claimed_task task;
      task.id = ins->text(0, 0);
      task.user_id = user;
      task.input_json = input;
      task.attempts = static_cast<int32_t>(ins->int64(0, 2));
      task.max_attempts = static_cast<int32_t>(ins->int64(0, 3));
      task.remaining_ms = ins->int64(0, 4);
      if (slot.taken()) {
        // Committed and ours: start it now rather than at the next poll.
        if (auto d = p.dispatcher.get()) {
          caf::anon_send(d, ai_start_atom::value, std::move(task));
          slot.handed_on();
        }
        // No dispatcher (restarting): the task keeps our lease and is resumed
        // by the next dispatcher's first poll.
      } else {
        p.queued_changed(+1);
        p.queued_inserts.fetch_add(1, std::memory_order_relaxed);
      }
      return caf::make_message(submit_result{ins->text(0, 0), "queued", false});
    };
    return j;
  };
}

}  // namespace trainia::ai
