#include "db/pool.hpp"

#include "actors/atoms.hpp"
#include "actors/restart_policy.hpp"
#include "core/error.hpp"
#include "db/worker.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <deque>
#include <unordered_set>

namespace trainia::db {
namespace {

using clock = std::chrono::steady_clock;

struct slot {
  caf::actor worker;
  bool up = false;
  bool busy = false;
  bool settled = false;  // its current worker's first connection attempt has ended (up or down)
  restart_tracker restarts{restart_policy{}};
};

struct queued {
  job work;
  caf::response_promise promise;
  clock::time_point since;
};

struct pool_state {
  pool_options opts;
  std::vector<slot> slots;
  std::deque<queued> waiting;
  bool tick_armed = false;
  std::shared_ptr<actor_info> info;
  actor_directory* dir = nullptr;
  obs::gauge* g_idle = nullptr;
  obs::gauge* g_busy = nullptr;
  obs::gauge* g_down = nullptr;
  obs::counter* rejected_down = nullptr;
  obs::counter* rejected_full = nullptr;
  obs::counter* rejected_timeout = nullptr;
  obs::counter* grouped = nullptr;
  obs::histogram* latency = nullptr;
  static inline const char* name = "db_pool";
};

using pool_actor = caf::stateful_actor<pool_state>;

void publish(pool_actor* self) {
  auto& st = self->state;
  int64_t idle = 0, busy = 0, down = 0;
  for (const auto& s : st.slots) {
    if (!s.up) ++down;
    else if (s.busy) ++busy;
    else ++idle;
  }
  st.g_idle->set(idle);
  st.g_busy->set(busy);
  st.g_down->set(down);
  st.info->mailbox(static_cast<int64_t>(st.waiting.size()));
  st.info->state(idle + busy == 0 ? "database unreachable" : "running");
}

caf::error unavailable(const char* why) { return fail_unavailable("the database is unavailable", 2, why); }

void spawn_worker(pool_actor* self, size_t index) {
  auto& st = self->state;
  auto name = "db_worker/" + st.opts.name + "/" + std::to_string(index);
  auto info = st.dir->add("db_worker", name, "db_pool/" + st.opts.name);
  info->state("connecting");
  auto w = self->spawn<caf::detached + caf::monitored>(db_worker, caf::actor_cast<caf::actor>(self),
                                                       st.opts.connect, st.opts.instance_id, info, st.latency);
  auto* dir = st.dir;
  w->attach_functor([dir, info](const caf::error&) { dir->remove(info); });
  st.slots[index].worker = w;
  st.slots[index].settled = false;
  st.slots[index].up = false;
  st.slots[index].busy = false;
}

slot* find_slot(pool_actor* self, const caf::actor_addr& a) {
  for (auto& s : self->state.slots)
    if (s.worker && s.worker.address() == a) return &s;
  return nullptr;
}

slot* idle_slot(pool_actor* self) {
  for (auto& s : self->state.slots)
    if (s.up && !s.busy) return &s;
  return nullptr;
}

bool any_up(pool_actor* self) {
  for (auto& s : self->state.slots)
    if (s.up) return true;
  return false;
}

/// A worker is still making its first connection attempt (the pool has just
/// started, or a worker was just restarted): a job waits for it, bounded by
/// the queue time-out, rather than being refused as if the database were down.
bool any_starting(pool_actor* self) {
  for (auto& s : self->state.slots)
    if (s.worker && !s.settled) return true;
  return false;
}

void fail_waiting(pool_actor* self, const char* why) {
  auto& st = self->state;
  while (!st.waiting.empty()) {
    st.rejected_down->inc();
    st.waiting.front().promise.deliver(unavailable(why));
    st.waiting.pop_front();
  }
}

/// Takes from the queue the jobs that may share a transaction with `first`
/// (a group member of the same kind and role, each of another user), in
/// queue order, up to max_group_jobs in all.
std::vector<queued> take_group(pool_actor* self, queued first) {
  std::vector<queued> members;
  members.push_back(std::move(first));
  const auto& lead = members.front().work;
  auto& waiting = self->state.waiting;
  if (!lead.group || waiting.empty()) return members;
  const void* kind = lead.group->kind();
  auto who = lead.who.who;
  std::unordered_set<std::string> users{lead.who.user_id};
  for (auto it = waiting.begin(); it != waiting.end() && members.size() < max_group_jobs;) {
    const auto& w = it->work;
    if (w.group && w.group->kind() == kind && w.who.who == who && users.insert(w.who.user_id).second) {
      members.push_back(std::move(*it));
      it = waiting.erase(it);
    } else {
      ++it;
    }
  }
  return members;
}

/// Hands a group to worker `s`: one transaction for all, each caller answered
/// with its own reply. Members are ordered by user, so concurrent groups take
/// their users' row locks in the same order.
void send_group(pool_actor* self, slot& s, std::vector<queued> members) {
  std::sort(members.begin(), members.end(),
            [](const queued& a, const queued& b) { return a.work.who.user_id < b.work.who.user_id; });
  job_group g;
  auto promises = std::make_shared<std::vector<caf::response_promise>>();
  g.jobs.reserve(members.size());
  promises->reserve(members.size());
  for (auto& m : members) {
    g.jobs.push_back(std::move(m.work));
    promises->push_back(std::move(m.promise));
  }
  self->state.grouped->inc(promises->size());
  self->request(s.worker, caf::infinite, db_group_atom::value, std::move(g))
    .then(
      [promises](group_replies& r) {
        auto& ps = *promises;
        for (size_t i = 0; i < ps.size(); ++i)
          ps[i].deliver(i < r.replies.size() ? std::move(r.replies[i])
                                             : caf::make_message(fail(errc::internal, "internal error",
                                                                      "db group answered too few replies")));
      },
      [promises](caf::error& e) {
        for (auto& p : *promises) p.deliver(e);
      });
}

void drain(pool_actor* self) {
  auto& st = self->state;
  while (!st.waiting.empty()) {
    slot* s = idle_slot(self);
    if (!s) break;
    s->busy = true;
    auto q = std::move(st.waiting.front());
    st.waiting.pop_front();
    if (q.work.group && !st.waiting.empty()) {
      auto members = take_group(self, std::move(q));
      if (members.size() > 1) {
        send_group(self, *s, std::move(members));
        continue;
      }
      q = std::move(members.front());
    }
    q.promise.delegate(s->worker, db_exec_atom::value, std::move(q.work));
  }
  publish(self);
}

void arm_tick(pool_actor* self) {
  auto& st = self->state;
  if (st.tick_armed || st.waiting.empty()) return;
  st.tick_armed = true;
  self->delayed_send(self, std::chrono::milliseconds(std::max(10, st.opts.queue_timeout_ms / 4)), tick_atom::value);
}

caf::behavior pool_impl(pool_actor* self, pool_options opts, actor_directory* dir, std::string parent) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.dir = dir;
  st.info = dir->add("db_pool", "db_pool/" + st.opts.name, parent);
  auto& m = dir->metrics();
  st.g_idle = &m.db_connections.with({{"pool", st.opts.name}, {"state", "idle"}});
  st.g_busy = &m.db_connections.with({{"pool", st.opts.name}, {"state", "busy"}});
  st.g_down = &m.db_connections.with({{"pool", st.opts.name}, {"state", "disconnected"}});
  st.rejected_down = &m.db_rejected.with({{"pool", st.opts.name}, {"reason", "unavailable"}});
  st.rejected_full = &m.db_rejected.with({{"pool", st.opts.name}, {"reason", "queue_full"}});
  st.rejected_timeout = &m.db_rejected.with({{"pool", st.opts.name}, {"reason", "queue_timeout"}});
  st.latency = &m.db_query_duration.with({{"pool", st.opts.name}});
  st.grouped = &m.db_grouped.with({{"pool", st.opts.name}});
  st.slots.resize(static_cast<size_t>(st.opts.size));
  for (size_t i = 0; i < st.slots.size(); ++i) spawn_worker(self, i);
  publish(self);

  auto info = st.info;
  self->attach_functor([dir, info](const caf::error&) { dir->remove(info); });
  self->set_error_handler([](caf::error&) {});
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    slot* s = find_slot(self, dm.source);
    if (!s) return;
    auto index = static_cast<size_t>(s - st.slots.data());
    s->worker = nullptr;
    s->up = false;
    s->busy = false;
    if (!any_up(self)) fail_waiting(self, "no database connection");
    publish(self);
    if (self->getf(caf::abstract_actor::is_shutting_down_flag) || !dm.reason) return;
    st.dir->count_restart("db_worker", "db_pool/" + st.opts.name, self->system().render(dm.reason));
    auto d = s->restarts.on_failure(clock::now());
    self->delayed_send(self, d.delay, restart_atom::value, static_cast<uint64_t>(index));
  });
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (auto& s : self->state.slots)
      if (s.worker) self->send_exit(s.worker, em.reason);
    self->quit(em.reason);
  });
  return {
    [=](db_exec_atom, job& j) -> caf::result<caf::message> {
      auto& st = self->state;
      st.info->handled();
      if (slot* s = idle_slot(self)) {
        s->busy = true;
        publish(self);
        return self->delegate(s->worker, db_exec_atom::value, std::move(j));
      }
      if (!any_up(self) && !any_starting(self)) {
        st.rejected_down->inc();
        return unavailable("no database connection");
      }
      if (static_cast<int>(st.waiting.size()) >= st.opts.queue_limit) {
        st.rejected_full->inc();
        return fail_unavailable("the server is busy", 1, "db queue full (" + st.opts.name + ")");
      }
      auto rp = self->make_response_promise();
      st.waiting.push_back(queued{std::move(j), rp, clock::now()});
      arm_tick(self);
      publish(self);
      return rp;
    },
    [=](worker_up_atom, caf::actor& w) {
      if (slot* s = find_slot(self, w.address())) {
        s->up = true;
        s->busy = false;
        s->settled = true;
      }
      drain(self);
    },
    [=](worker_down_atom, caf::actor& w) {
      if (slot* s = find_slot(self, w.address())) {
        s->up = false;
        s->busy = false;
        s->settled = true;
      }
      if (!any_up(self) && !any_starting(self)) fail_waiting(self, "no database connection");
      publish(self);
    },
    [=](worker_idle_atom, caf::actor& w) {
      if (slot* s = find_slot(self, w.address())) s->busy = false;
      drain(self);
    },
    [=](tick_atom) {
      auto& st = self->state;
      st.tick_armed = false;
      auto limit = clock::now() - std::chrono::milliseconds(st.opts.queue_timeout_ms);
      while (!st.waiting.empty() && st.waiting.front().since < limit) {
        st.rejected_timeout->inc();
        st.waiting.front().promise.deliver(fail_unavailable("the database is busy", 1, "db queue wait time-out"));
        st.waiting.pop_front();
      }
      arm_tick(self);
      publish(self);
    },
    [=](restart_atom, uint64_t index) {
      if (index < self->state.slots.size() && !self->state.slots[index].worker) spawn_worker(self, index);
      publish(self);
    },
    [=](ping_atom) -> bool { return any_up(self); },
    [=](crash_atom, uint64_t index) {
      // Test hook: make one worker throw, to exercise restarts.
      if (index < self->state.slots.size() && self->state.slots[index].worker)
        self->send(self->state.slots[index].worker, crash_atom::value);
    },
  };
}

}  // namespace

caf::actor spawn_pool(caf::actor_system& sys, pool_options opts, actor_directory& dir, const std::string& parent) {
  return sys.spawn(pool_impl, std::move(opts), &dir, parent);
}

}  // namespace trainia::db
