#include "actors/user_session.hpp"

#include "actors/crash_log.hpp"
#include "billing/plan_store.hpp"
#include "core/error.hpp"
#include "db/run.hpp"
#include "profiles/profile_store.hpp"

#include <caf/all.hpp>

namespace trainia {
namespace {

using clock = std::chrono::steady_clock;

caf::error no_pool() { return fail_unavailable("the database is unavailable", 2, "no request pool"); }

void touch(user_session_pointer self) {
  auto& st = self->state;
  st.info->handled();
  // Sample the mailbox now and then; reading it is only allowed from inside.
  if ((++st.handled & 15) == 0) st.info->mailbox(static_cast<int64_t>(self->mailbox().size()));
}

/// The per-user rate limit, taken once per request that reaches this actor.
caf::error admit(user_session_pointer self) {
  touch(self);
  int retry_after = 1;
  if (self->state.shared->admit(retry_after)) return {};
  return fail_rate_limited(session_shared::refusal, retry_after);
}

db::access me(user_session_pointer self) { return {db::role::request, self->state.user_id}; }

void start_profile_load(user_session_pointer self) {
  auto& st = self->state;
  if (st.loading_profile) return;
  auto pool = st.svc->request_db.get();
  if (!pool) {
    for (auto& p : st.profile_waiters) p.deliver(no_pool());
    st.profile_waiters.clear();
    return;
  }
  st.loading_profile = true;
  auto epoch = st.shared->epoch();
  db::run(self, pool, me(self), "profiles/load", profiles::load_job(st.user_id))
    .then(
      [=](profile_doc& doc) {
        auto& st = self->state;
        st.loading_profile = false;
        st.shared->publish_loaded(std::make_shared<const profile_doc>(doc), epoch);
        auto waiting = std::move(st.profile_waiters);
        st.profile_waiters.clear();
        for (auto& p : waiting) p.deliver(doc);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        st.loading_profile = false;
        auto waiting = std::move(st.profile_waiters);
        st.profile_waiters.clear();
        for (auto& p : waiting) p.deliver(e);
      });
}

void pump_writes(user_session_pointer self);

void enqueue_write(user_session_pointer self, db::job work, caf::response_promise rp, bool is_profile) {
  self->state.writes.push_back({std::move(work), std::move(rp), is_profile});
  pump_writes(self);
}

/// Runs a waiting plan job (or answers a plain plan request) with `plan`.
void serve_plan_waiter(user_session_pointer self, plan_job& job, caf::response_promise& rp, const plan_info& plan) {
  if (!job) return rp.deliver(plan);
  enqueue_write(self, job(plan), std::move(rp), false);
}

void start_plan_load(user_session_pointer self) {
  auto& st = self->state;
  if (st.loading_plan) return;
  auto pool = st.svc->request_db.get();
  if (!pool) {
    for (auto& [job, p] : st.plan_waiters) p.deliver(no_pool());
    st.plan_waiters.clear();
    return;
  }
  st.loading_plan = true;
  auto epoch = st.epoch;
  db::run(self, pool, me(self), "billing/load_plan", billing::load_plan_job(st.user_id, *st.svc->plans))
    .then(
      [=](plan_info& plan) {
        auto& st = self->state;
        st.loading_plan = false;
        if (st.epoch == epoch) st.plan = plan;
        auto waiting = std::move(st.plan_waiters);
        st.plan_waiters.clear();
        for (auto& [job, p] : waiting) serve_plan_waiter(self, job, p, plan);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        st.loading_plan = false;
        auto waiting = std::move(st.plan_waiters);
        st.plan_waiters.clear();
        for (auto& [job, p] : waiting) p.deliver(e);
      });
}

void pump_writes(user_session_pointer self) {
  auto& st = self->state;
  if (st.writing || st.writes.empty()) return;
  auto pool = st.svc->request_db.get();
  if (!pool) {
    for (auto& w : st.writes) w.promise.deliver(no_pool());
    st.writes.clear();
    return;
  }
  st.writing = true;
  auto& w = st.writes.front();
  bool is_profile = w.is_profile;
  self->request(pool, caf::infinite, db_exec_atom::value, db::enveloped(std::move(w.work)))
    .then(
      [=](db::job_reply& env) {
        auto& reply = env.reply;
        auto& st = self->state;
        if (is_profile) {
          // A profile load in flight predates this write: replace() moves the
          // epoch, so it cannot publish what it read.
          if (reply.match_elements<profile_doc>())
            st.shared->replace(std::make_shared<const profile_doc>(reply.get_as<profile_doc>(0)));
          else
            st.shared->replace(nullptr);
        }
        st.writes.front().promise.deliver(reply);
        st.writes.pop_front();
        st.writing = false;
        pump_writes(self);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        // Our copy may be stale (another instance wrote): read afresh next time.
        if (is_profile) st.shared->replace(nullptr);
        st.writes.front().promise.deliver(e);
        st.writes.pop_front();
        st.writing = false;
        pump_writes(self);
      });
}

}  // namespace

caf::behavior user_session(user_session_pointer self, std::string user_id, services* svc,
                           std::shared_ptr<session_shared> shared) {
  auto& st = self->state;
  st.user_id = user_id;
  st.svc = svc;
  st.shared = std::move(shared);
  st.info = svc->actors.add("user_session", "user_session/" + user_id, "session_supervisor");
  auto addr = self->address();
  auto info = st.info;
  // Test hook: a crash that leaves the dead actor listed, as a terminating
  // actor that the machine has not yet run to its end does.
  auto stay_listed = std::make_shared<bool>(false);
  self->attach_functor([svc, info, user_id, addr, stay_listed](const caf::error&) {
    if (!*stay_listed) svc->sessions.erase_if(user_id, addr);
    svc->actors.remove(info);
  });
  // Crashes are logged as JSON and still end the actor: the supervisor counts
  // it and the user's next request gets a fresh session.
  self->set_exception_handler(crash_logger("user_session", user_id));
  self->set_error_handler([](caf::error&) {});
  auto idle = std::chrono::milliseconds(svc->cfg.session_idle_timeout_ms);
  self->delayed_send(self, idle, idle_check_atom::value);
  return {
    [=](get_profile_atom) -> caf::result<profile_doc> {
      if (auto e = admit(self)) return e;
      auto& st = self->state;
      if (auto p = st.shared->profile()) return *p;
      auto rp = self->make_response_promise();
      st.profile_waiters.push_back(rp);
      start_profile_load(self);
      return rp;
    },
    [=](put_profile_atom, profile_update& u) -> caf::result<caf::message> {
      if (auto e = admit(self)) return e;
      auto rp = self->make_response_promise();
      auto& st = self->state;
      enqueue_write(self, db::job{me(self), "profiles/update", profiles::update_job(st.user_id, std::move(u))}, rp,
                    true);
      return rp;
    },
    [=](user_read_atom, db::job& j) -> caf::result<caf::message> {
      if (auto e = admit(self)) return e;
      auto pool = self->state.svc->request_db.get();
      if (!pool) return no_pool();
      j.who = me(self);  // always this user's rights, whatever the caller set
      return self->delegate(pool, db_exec_atom::value, std::move(j));
    },
    [=](user_write_atom, db::job& j) -> caf::result<caf::message> {
      if (auto e = admit(self)) return e;
      auto rp = self->make_response_promise();
      j.who = me(self);
      enqueue_write(self, std::move(j), rp, false);
      return rp;
    },
    [=](plan_atom) -> caf::result<plan_info> {
      if (auto e = admit(self)) return e;
      auto& st = self->state;
      if (st.plan) return *st.plan;
      auto rp = self->make_response_promise();
      st.plan_waiters.emplace_back(plan_job{}, rp);
      start_plan_load(self);
      return rp;
    },
    [=](plan_write_atom, plan_job& job) -> caf::result<caf::message> {
      if (auto e = admit(self)) return e;
      auto& st = self->state;
      auto rp = self->make_response_promise();
      if (st.plan) {
        auto w = job(*st.plan);
        w.who = me(self);
        enqueue_write(self, std::move(w), rp, false);
      } else {
        st.plan_waiters.emplace_back(
          [job, self](const plan_info& p) {
            auto w = job(p);
            w.who = me(self);
            return w;
          },
          rp);
        start_plan_load(self);
      }
      return rp;
    },
    [=](invalidate_atom) {
      auto& st = self->state;
      st.info->handled();
      ++st.epoch;
      st.plan.reset();
    },
    [=](idle_check_atom) {
      auto& st = self->state;
      st.info->mailbox(static_cast<int64_t>(self->mailbox().size()));
      // HTTP threads that answered from the shared profile count as use too.
      auto since = clock::now() - st.shared->last_used();
      bool busy = st.loading_profile || st.loading_plan || st.writing || !st.writes.empty() ||
                  !st.profile_waiters.empty() || !st.plan_waiters.empty();
      if (since >= idle && !busy) {
        st.svc->sessions.erase_if(st.user_id, self->address());
        self->quit();
        return;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(idle - since);
      self->delayed_send(self, busy ? idle : std::max(left, std::chrono::milliseconds(10)), idle_check_atom::value);
    },
    [=](crash_atom, bool keep_listed) -> bool {
      // Test hook (only reachable with test_hooks enabled): a poisoned message.
      *stay_listed = keep_listed;
      throw std::runtime_error("injected session crash");
    },
  };
}

session_directory::entry spawn_user_session(services& svc, const std::string& user_id) {
  auto shared = std::make_shared<session_shared>(svc.cfg.rate_limit_per_user_per_second,
                                                 static_cast<double>(svc.cfg.rate_limit_burst));
  auto a = svc.system->spawn(user_session, user_id, &svc, shared);
  if (auto sup = svc.session_supervisor.get()) caf::anon_send(sup, watch_atom::value, a);
  return {a, std::move(shared)};
}

}  // namespace trainia
