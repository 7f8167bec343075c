#include "actors/user_session.hpp"

#include "actors/crash_log.hpp"
#include "core/error.hpp"
#include "db/run.hpp"
#include "observability/log.hpp"
#include "profiles/profile_store.hpp"

#include <caf/all.hpp>

namespace trainia {
namespace {

using clock = std::chrono::steady_clock;

void touch(user_session_pointer self) {
  auto& st = self->state;
  st.last_used = clock::now();
  st.info->handled();
  // Sample the mailbox now and then; reading it is only allowed from inside.
  if ((++st.handled & 15) == 0) st.info->mailbox(static_cast<int64_t>(self->mailbox().size()));
}

caf::error admit(user_session_pointer self) {
  int retry_after = 1;
  if (self->state.bucket->take(clock::now(), retry_after)) return {};
  error_info info;
  info.message = "too many requests; slow down";
  info.retry_after_seconds = retry_after;
  return caf::make_error(errc::rate_limited, std::move(info));
}

void start_load(user_session_pointer self) {
  auto& st = self->state;
  if (st.loading) return;
  auto pool = st.svc->request_db.get();
  if (!pool) {
    for (auto& p : st.waiting) p.deliver(fail_unavailable("the database is unavailable", 2, "no request pool"));
    st.waiting.clear();
    return;
  }
  st.loading = true;
  auto epoch = st.epoch;
  db::run(self, pool, {db::role::request, st.user_id}, "profiles/load", profiles::load_job(st.user_id))
    .then(
      [=](profile_doc& doc) {
        auto& st = self->state;
        st.loading = false;
        if (st.epoch == epoch) st.profile = doc;
        auto waiting = std::move(st.waiting);
        st.waiting.clear();
        for (auto& p : waiting) p.deliver(doc);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        st.loading = false;
        auto waiting = std::move(st.waiting);
        st.waiting.clear();
        for (auto& p : waiting) p.deliver(e);
      });
}

void pump_writes(user_session_pointer self) {
  auto& st = self->state;
  if (st.writing || st.writes.empty()) return;
  auto pool = st.svc->request_db.get();
  if (!pool) {
    for (auto& w : st.writes) w.promise.deliver(fail_unavailable("the database is unavailable", 2, "no request pool"));
    st.writes.clear();
    return;
  }
  st.writing = true;
  auto& w = st.writes.front();
  db::run(self, pool, {db::role::request, st.user_id}, "profiles/update", profiles::update_job(st.user_id, w.update))
    .then(
      [=](profile_doc& doc) {
        auto& st = self->state;
        ++st.epoch;  // a load in flight predates this write
        st.profile = doc;
        st.writes.front().promise.deliver(doc);
        st.writes.pop_front();
        st.writing = false;
        pump_writes(self);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        // Our copy may be stale (another instance wrote): read afresh next time.
        ++st.epoch;
        st.profile.reset();
        st.writes.front().promise.deliver(e);
        st.writes.pop_front();
        st.writing = false;
        pump_writes(self);
      });
}

void arm_idle_check(user_session_pointer self, std::chrono::milliseconds after) {
  self->delayed_send(self, after, idle_check_atom::value);
}

}  // namespace

user_session_actor::behavior_type user_session(user_session_pointer self, std::string user_id, services* svc) {
  auto& st = self->state;
  st.user_id = user_id;
  st.svc = svc;
  st.info = svc->actors.add("user_session", "user_session/" + user_id, "session_supervisor");
  st.bucket.emplace(svc->cfg.rate_limit_per_user_per_second, static_cast<double>(svc->cfg.rate_limit_burst));
  st.last_used = clock::now();
  auto addr = self->address();
  auto info = st.info;
  self->attach_functor([svc, info, user_id, addr](const caf::error&) {
    svc->sessions.erase_if(user_id, addr);
    svc->actors.remove(info);
  });
  // Crashes are logged as JSON and still end the actor: the supervisor counts it
  // and the user's next request gets a fresh session.
  self->set_exception_handler(crash_logger("user_session", user_id));
  auto idle = std::chrono::milliseconds(svc->cfg.session_idle_timeout_ms);
  arm_idle_check(self, idle);
  return {
    [=](get_profile_atom) -> caf::result<profile_doc> {
      touch(self);
      if (auto e = admit(self)) return e;
      auto& st = self->state;
      if (st.profile) return *st.profile;
      auto rp = self->make_response_promise<profile_doc>();
      st.waiting.push_back(rp);
      start_load(self);
      return rp;
    },
    [=](put_profile_atom, profile_update& u) -> caf::result<profile_doc> {
      touch(self);
      if (auto e = admit(self)) return e;
      auto rp = self->make_response_promise<profile_doc>();
      self->state.writes.push_back({std::move(u), rp});
      pump_writes(self);
      return rp;
    },
    [=](invalidate_atom) {
      auto& st = self->state;
      st.info->handled();
      ++st.epoch;
      st.profile.reset();
    },
    [=](idle_check_atom) {
      auto& st = self->state;
      st.info->mailbox(static_cast<int64_t>(self->mailbox().size()));
      auto since = clock::now() - st.last_used;
      bool busy = st.loading || st.writing || !st.writes.empty() || !st.waiting.empty();
      if (since >= idle && !busy) {
        st.svc->sessions.erase_if(st.user_id, self->address());
        self->quit();
        return;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(idle - since);
      arm_idle_check(self, busy ? idle : std::max(left, std::chrono::milliseconds(10)));
    },
    [=](crash_atom) -> bool {
      // Test hook (only reachable with test_hooks enabled): a poisoned message.
      throw std::runtime_error("injected session crash");
    },
  };
}

user_session_actor spawn_user_session(services& svc, const std::string& user_id) {
  auto a = svc.system->spawn(user_session, user_id, &svc);
  if (auto sup = svc.session_supervisor.get())
    caf::anon_send(sup, watch_atom::value, caf::actor_cast<caf::actor>(a));
  return a;
}

}  // namespace trainia
