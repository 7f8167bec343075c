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
      static const auto& insert = db::sql("ai/insert_task");
      const auto& user = t.who().user_id;
      db::param key_param = key ? db::param(*key) : db::param(std::nullopt);
      // A worker slot is taken up front (the statement claims the task for
      // this process when it has one) and given back unless the task starts.
      slot_guard slot(p);
      bool queue_full = !slot.taken() && p.queued_hint.load(std::memory_order_relaxed) >= p.cfg.ai_queue_limit;
      // One round trip, COMMIT included. Each statement sees those before it;
      // the insert counts the user's tasks in flight after the reservation's
      // row lock, and undoes the reservation whenever it inserts nothing (see
      // ai/insert_task.sql). Without an Idempotency-Key there is nothing to
      // look up. The user's profile row is created only when the insert says
      // there is none (a first submit, or one after user.deleted): then
      // nothing was reserved or inserted, and the batch runs again after
      // ai/ensure_profile, in a transaction of its own.
      auto submit = [&](bool ensure_profile) {
        std::vector<std::pair<const db::statement*, db::params>> batch;
        batch.reserve(4);
        if (ensure_profile) batch.push_back({&ensure, {user}});
        if (key) batch.push_back({&find, {user, key_param, input}});
        batch.push_back({&reserve, {user, plan.period_start, plan.period_end, plan.ai_runs_per_month, key_param}});
        batch.push_back({&insert, {user, input, model, key_param, p.cfg.ai_max_attempts, p.cfg.ai_task_deadline_ms,
                                   plan.period_start, slot.taken(), p.svc.instance_id, p.cfg.ai_lease_seconds,
                                   static_cast<int64_t>(plan.ai_max_concurrent), queue_full}});
        return t.exec_batch(batch, true);
      };
      bool ensured = false;
      auto done = submit(false);
      if (done && !done->back().boolean(0, 8)) {
        ensured = true;
        done = submit(true);
      }
      if (!done) return error_reply(std::move(done.error()));
      const auto& r = *done;
      const auto& found = r[ensured ? 1 : 0];
      if (key && !found.empty()) return replay_or_conflict(found);
      const auto& ins = r.back();
      if (!ins.boolean(0, 0)) return error_reply(quota_exceeded(plan, ins.int64(0, 1)));
      if (ins.int64(0, 2) >= plan.ai_max_concurrent) return error_reply(too_many_in_flight(plan.ai_max_concurrent));
      if (queue_full)
        return error_reply(fail_unavailable("the AI queue is full; retry shortly", 5, "ai queue at its limit"));
      if (ins.is_null(0, 3)) {
        // A concurrent submit with the same key won; our reservation was undone.
        auto again = t.exec(find, {user, key_param, input});
        if (!again) return error_reply(std::move(again.error()));
        if (again->empty())
          return error_reply(fail(errc::conflict, "a concurrent request with this Idempotency-Key failed"));
        return replay_or_conflict(*again);
      }
      claimed_task task;
      task.id = ins.text(0, 3);
      task.user_id = user;
      task.input_json = input;
      task.attempts = static_cast<int32_t>(ins.int64(0, 5));
      task.max_attempts = static_cast<int32_t>(ins.int64(0, 6));
      task.remaining_ms = ins.int64(0, 7);
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
        // Other processes may have free workers: the dispatcher tells them
        // (one message per announcement, however many submits queue).
        if (!p.announce_owed.exchange(true, std::memory_order_acq_rel))
          if (auto d = p.dispatcher.get()) caf::anon_send(d, ai_announce_atom::value);
      }
      return caf::make_message(submit_result{ins.text(0, 3), "queued", false});
    };
    return j;
  };
}

}  // namespace trainia::ai
