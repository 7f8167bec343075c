#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "core/error.hpp"
#include "db/tx.hpp"

#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include <utility>

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
  slot_guard(const slot_guard&) = delete;
  slot_guard& operator=(const slot_guard&) = delete;
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

const char submit_kind = 0;

/// One submit: its statements and what their results mean. Run alone (the
/// job's own transaction) or as a member of a group commit with the submits of
/// other users that queued for a connection meanwhile (db::group_member).
class submit_call final : public db::group_member {
 public:
  submit_call(pipeline& p, std::string input, std::string model, std::optional<std::string> key, plan_info plan)
    : p_(p), input_(std::move(input)), model_(std::move(model)), key_(std::move(key)), plan_(std::move(plan)) {}
  submit_call(const submit_call&) = delete;
  submit_call& operator=(const submit_call&) = delete;
  ~submit_call() override { commit_failed(); }

  /// The job's transaction: one round trip, COMMIT included (a second one,
  /// with ai/ensure_profile, when the user has no profile row yet).
  caf::message run_alone(db::tx& t) {
    const auto& user = t.who().user_id;
    // A worker slot is taken up front (the statement claims the task for
    // this process when it has one) and given back unless the task starts.
    slot_guard slot(p_);
    bool queue_full = full(slot);
    // Each statement sees those before it; the insert counts the user's tasks
    // in flight after the reservation's row lock, and undoes the reservation
    // whenever it inserts nothing (see ai/insert_task.sql). Without an
    // Idempotency-Key there is nothing to look up. The user's profile row is
    // created only when the insert says there is none (a first submit, or one
    // after user.deleted): then nothing was reserved or inserted, and the
    // batch runs again after ai/ensure_profile, in a transaction of its own.
    db::tx::before_commit early = [&](std::vector<db::result>& all, size_t) {
      start_early(all.back(), user, slot);  // the insert is the batch's last statement
    };
    auto submit = [&](bool ensure_profile) {
      db::statement_batch batch;
      batch.reserve(4);
      append(batch, user, ensure_profile, slot.taken(), queue_full);
      return t.exec_batch(batch, true, &early);
    };
    bool ensured = false;
    auto done = submit(false);
    if (done && !done->back().boolean(0, 8)) {
      ensured = true;
      done = submit(true);
    }
    if (!done) {
      commit_failed();
      return error_reply(std::move(done.error()));
    }
    const auto& r = *done;
    const auto& found = r[ensured ? 1 : 0];
    if (key_ && !found.empty()) return replay_or_conflict(found);
    const auto& ins = r.back();
    if (auto refused = refusal(ins, queue_full)) return *refused;
    if (ins.is_null(0, 3)) {
      // A concurrent submit with the same key won; our reservation was undone.
      static const auto& find = db::sql("ai/find_by_key");
      auto again = t.exec(find, {user, key_param(), input_});
      if (!again) return error_reply(std::move(again.error()));
      if (again->empty())
        return error_reply(fail(errc::conflict, "a concurrent request with this Idempotency-Key failed"));
      return replay_or_conflict(*again);
    }
    return accepted(ins, user, slot);
  }

  // db::group_member: the same statements, as one member of a group.
  const void* kind() const override { return &submit_kind; }

  void add(db::statement_batch& batch, const db::access& who) override {
    user_ = who.user_id;
    slot_.emplace(p_);
    queue_full_ = full(*slot_);
    append(batch, user_, false, slot_->taken(), queue_full_);
  }

  void before_commit(std::vector<db::result>& r, size_t first) override {
    start_early(r[first + (key_ ? 2 : 1)], user_, *slot_);
  }

  std::optional<caf::message> conclude(std::vector<db::result>& r, size_t first) override {
    const auto& ins = r[first + (key_ ? 2 : 1)];
    slot_guard& slot = *slot_;
    std::optional<caf::message> reply;
    if (!ins.boolean(0, 8)) {
      // No profile row: nothing was reserved or inserted. Alone, the job
      // creates the profile first.
    } else if (key_ && !r[first].empty()) {
      reply = replay_or_conflict(r[first]);
    } else if (auto refused = refusal(ins, queue_full_)) {
      reply = std::move(refused);
    } else if (ins.is_null(0, 3)) {
      // A concurrent submit with the same key won and our reservation was
      // undone: alone, the job finds the winner (committed by now).
    } else {
      reply = accepted(ins, user_, slot);
    }
    slot_.reset();  // gives the slot back unless accepted() handed it on
    return reply;
  }

  void abandon() override {
    commit_failed();
    slot_.reset();
  }

 private:
  db::param key_param() const { return key_ ? db::param(*key_) : db::param(std::nullopt); }

  bool full(const slot_guard& slot) const {
    return !slot.taken() && p_.queued_hint.load(std::memory_order_relaxed) >= p_.cfg.ai_queue_limit;
  }

  void append(db::statement_batch& batch, const std::string& user, bool ensure_profile, bool claim,
              bool queue_full) const {
    static const auto& ensure = db::sql("ai/ensure_profile");
    static const auto& find = db::sql("ai/find_by_key");
    static const auto& reserve = db::sql("ai/reserve_run");
    static const auto& insert = db::sql("ai/insert_task");
    auto key = key_param();
    if (ensure_profile) batch.push_back({&ensure, {user}});
    if (key_) batch.push_back({&find, {user, key, input_}});
    batch.push_back({&reserve, {user, plan_.period_start, plan_.period_end, plan_.ai_runs_per_month, key}});
    batch.push_back({&insert, {user, input_, model_, key, p_.cfg.ai_max_attempts, p_.cfg.ai_task_deadline_ms,
                               plan_.period_start, claim, p_.svc.instance_id, p_.cfg.ai_lease_seconds,
                               static_cast<int64_t>(plan_.ai_max_concurrent), queue_full}});
  }

  /// The 402, 429 or 503 that ai/insert_task's row says, if any.
  std::optional<caf::message> refusal(const db::result& ins, bool queue_full) const {
    if (!ins.boolean(0, 0)) return error_reply(quota_exceeded(plan_, ins.int64(0, 1)));
    if (ins.int64(0, 2) >= plan_.ai_max_concurrent) return error_reply(too_many_in_flight(plan_.ai_max_concurrent));
    if (queue_full)
      return error_reply(fail_unavailable("the AI queue is full; retry shortly", 5, "ai queue at its limit"));
    return std::nullopt;
  }

  /// The task ai/insert_task's row describes, as this process runs it.
  claimed_task task_of(const db::result& ins, const std::string& user) const {
    claimed_task task;
    task.id = ins.text(0, 3);
    task.user_id = user;
    task.input_json = input_;
    task.attempts = static_cast<int32_t>(ins.int64(0, 5));
    task.max_attempts = static_cast<int32_t>(ins.int64(0, 6));
    task.remaining_ms = ins.int64(0, 7);
    return task;
  }

  /// The statements inserted the task and claimed it for this process (the
  /// slot is ours), and their COMMIT is under way: the task starts now, so
  /// the provider call runs while the commit is flushed. Its outcome is
  /// written only once the commit is known to have succeeded (accepted());
  /// if it fails, the run is dropped (commit_failed()). A process that dies
  /// meanwhile made at most a provider call for a task that was never stored.
  void start_early(const db::result& ins, const std::string& user, slot_guard& slot) {
    if (!slot.taken() || ins.empty() || ins.is_null(0, 3)) return;
    auto d = p_.dispatcher.get();
    if (!d) return;
    auto task = task_of(ins, user);
    task.uncommitted = true;
    early_id_ = task.id;
    early_to_ = d;
    caf::anon_send(d, ai_start_atom::value, std::move(task));
    slot.handed_on();
  }

  /// The transaction that inserted an early-started task did not commit.
  void commit_failed() {
    if (early_id_.empty()) return;
    caf::anon_send(early_to_, ai_commit_atom::value, std::exchange(early_id_, {}), false);
    early_to_ = nullptr;
  }

  /// The task was inserted and committed: start it here, or announce it queued.
  caf::message accepted(const db::result& ins, const std::string& user, slot_guard& slot) {
    if (!early_id_.empty()) {
      // Started before the commit: its outcome may be written now.
      caf::anon_send(early_to_, ai_commit_atom::value, early_id_, true);
      early_to_ = nullptr;
      return caf::make_message(submit_result{std::exchange(early_id_, {}), "queued", false});
    }
    auto task = task_of(ins, user);
    auto id = task.id;
    if (slot.taken()) {
      // Committed and ours: start it now rather than at the next poll.
      if (auto d = p_.dispatcher.get()) {
        caf::anon_send(d, ai_start_atom::value, std::move(task));
        slot.handed_on();
      }
      // No dispatcher (restarting): the task keeps our lease and is resumed
      // by the next dispatcher's first poll.
    } else {
      p_.queued_changed(+1);
      p_.queued_inserts.fetch_add(1, std::memory_order_relaxed);
      // Other processes may have free workers: the dispatcher tells them
      // (one message per announcement, however many submits queue).
      if (!p_.announce_owed.exchange(true, std::memory_order_acq_rel))
        if (auto d = p_.dispatcher.get()) caf::anon_send(d, ai_announce_atom::value);
    }
    return caf::make_message(submit_result{std::move(id), "queued", false});
  }

  pipeline& p_;
  std::string input_;
  std::string model_;
  std::optional<std::string> key_;
  plan_info plan_;
  // As a group member, between add() and conclude():
  std::string user_;
  std::optional<slot_guard> slot_;
  bool queue_full_ = false;
  // A task started before its COMMIT was known (start_early), and where.
  std::string early_id_;
  caf::actor early_to_;
};

}  // namespace

plan_job submit_job(pipeline& p, task_input in, std::optional<std::string> key) {
  return [&p, input = in.to_json(), model = in.model, key = std::move(key)](const plan_info& plan) {
    auto call = std::make_shared<submit_call>(p, input, model, key, plan);
    db::job j;
    j.label = "ai/submit";
    j.fn = [call](db::tx& t) { return call->run_alone(t); };
    j.group = call;
    return j;
  };
}

}  // namespace trainia::ai
