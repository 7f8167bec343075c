#include "ai/dispatcher.hpp"

#include "core/error.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "ai/pipeline.hpp"
#include "ai/recorder.hpp"
#include "ai/task_store.hpp"
#include "ai/worker.hpp"
#include "core/heap.hpp"
#include "db/run.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_set>


namespace trainia::ai {

namespace {

using clock = std::chrono::steady_clock;
constexpr int poll_batch = 64;
// Ended tasks kept for waiters that ask just after the end (a submit's
// `wait`, racing a fast provider); a later reader finds the row in the
// database. Short-lived, so a burst's documents do not outlive it.
constexpr size_t recent_max = 4096;
constexpr std::chrono::seconds recent_ttl{5};
// Emptying at least this many documents hands the freed heap back to the OS.
constexpr size_t recent_trim_after = 1024;
constexpr std::chrono::seconds cancel_wait{5};
const db::access service_role{db::role::service, {}};
// Queued tasks are announced to the other processes at most this often: a
// NOTIFY commits under a database-wide lock, so one per submit would make a
// burst of queued submits commit one by one.
constexpr std::chrono::milliseconds announce_window{20};

std::chrono::milliseconds ms(int v) {
  return std::chrono::milliseconds(v);
}

void poll(dispatcher_pointer self);
void reclaim(dispatcher_pointer self, const std::string& id);

caf::actor spawn_worker(dispatcher_pointer self, size_t i) {
  return self->spawn<caf::linked>(ai_worker, self->state.pipe, caf::actor_cast<caf::actor>(self),
                                  self->state.recorder, "ai_worker/" + std::to_string(i));
}

void deliver(dispatcher_pointer self, const std::string& id, const std::string& json) {
  auto& st = self->state;
  auto it = st.waiters.find(id);
  if (it == st.waiters.end()) return;
  for (auto& w : it->second) {
    w.promise.deliver(json);
    st.deadlines.erase({w.deadline, w.id});
  }
  st.waiters.erase(it);
}

void arm_expiry(dispatcher_pointer self) {
  auto& st = self->state;
  if (st.deadlines.empty()) return;
  auto next = st.deadlines.begin()->first.first;
  if (next >= st.expiry_armed_at) return;  // an earlier tick is on its way
  st.expiry_armed_at = next;
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(std::max(next - clock::now(), clock::duration::zero()));
  self->delayed_send(self, delay, ai_expire_atom::value, ++st.expiry_generation);
}

caf::response_promise add_waiter(dispatcher_pointer self, const std::string& id, std::chrono::milliseconds limit) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  auto wid = ++st.next_waiter;
  auto deadline = clock::now() + limit;
  st.waiters[id].push_back({wid, deadline, rp});
  st.deadlines.emplace(std::make_pair(deadline, wid), id);
  arm_expiry(self);
  return rp;
}

/// Answers (with nothing: the caller reads the row) the waiters whose time is up.
void expire_waiters(dispatcher_pointer self) {
  auto& st = self->state;
  auto now = clock::now();
  while (!st.deadlines.empty() && st.deadlines.begin()->first.first <= now) {
    auto node = st.deadlines.extract(st.deadlines.begin());
    auto wid = node.key().second;
    auto it = st.waiters.find(node.mapped());
    if (it == st.waiters.end()) continue;
    auto& list = it->second;
    for (size_t k = 0; k < list.size(); ++k)
      if (list[k].id == wid) {
        list[k].promise.deliver(std::string{});
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(k));
        break;
      }
    if (list.empty()) st.waiters.erase(it);
  }
}

void trim_recent(dispatcher_pointer self) {
  auto& st = self->state;
  auto now = clock::now();
  size_t dropped = 0;
  while (!st.recent_order.empty() &&
         (st.recent_order.size() > recent_max || now - st.recent_order.front().first > recent_ttl)) {
    st.recent.erase(st.recent_order.front().second);
    st.recent_order.pop_front();
    ++dropped;
  }
  if (st.recent.empty() && dropped >= recent_trim_after) {
    // The burst is over: give back the buckets and the freed pages.
    decltype(st.recent)().swap(st.recent);
    decltype(st.recent_order)().swap(st.recent_order);
    heap::trim();
  }
}

void remember(dispatcher_pointer self, const std::string& id, const std::string& json) {
  auto& st = self->state;
  st.recent[id] = json;
  st.recent_order.emplace_back(clock::now(), id);
  trim_recent(self);
}

void run_on(dispatcher_pointer self, size_t w, claimed_task t) {
  auto& st = self->state;
  st.running[t.id] = w;
  st.workers[w].task = t;
  st.workers[w].called = false;
  ++st.calling;
  self->send(st.workers[w].handle, ai_run_atom::value, std::move(t));
}

/// Starts waiting tasks (each holds its slot already) while fewer than
/// ai.concurrency run and a worker is idle.
void start_pending(dispatcher_pointer self) {
  auto& st = self->state;
  while (!st.pending.empty() && !st.idle.empty() && st.calling < st.max_calling) {
    auto t = std::move(st.pending.front().task);
    // The deadline was measured when the task was claimed: the time it
    // waited here counts against it.
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - st.pending.front().since).count();
    st.pending.pop_front();
    t.remaining_ms = std::max<int64_t>(0, t.remaining_ms - waited);
    auto w = st.idle.back();
    st.idle.pop_back();
    run_on(self, w, std::move(t));
  }
}

/// Runs `t` (its slot already taken) on an idle worker, or queues it here.
void assign(dispatcher_pointer self, claimed_task t) {
  auto& st = self->state;
  bool known = st.running.count(t.id) > 0;
  for (const auto& p : st.pending) known = known || p.task.id == t.id;
  if (known) {
    st.pipe->slots.give(1);  // started twice (a resume met a submit's start): run it once
    return;
  }
  st.pending.push_back({std::move(t), clock::now()});
  start_pending(self);
}

/// The run on worker `w` is over (its outcome is being persisted): its slot
/// goes to the next task.
void run_ended(dispatcher_pointer self, size_t w) {
  auto& st = self->state;
  if (!st.workers[w].task || st.workers[w].called) return;
  st.workers[w].called = true;
  --st.calling;
  st.pipe->slots.give(1);
  start_pending(self);
}

/// Worker `w` has nothing to do: it takes waiting work, or waits for some.
void worker_free(dispatcher_pointer self, size_t w) {
  auto& st = self->state;
  run_ended(self, w);  // a worker always reports ai_called first; this is a guard
  st.workers[w].task.reset();
  st.workers[w].called = false;
  st.idle.push_back(w);
  start_pending(self);
}

bool work_may_wait(dispatcher_pointer self) {
  auto& p = *self->state.pipe;
  return self->state.poll_owed || p.queued_hint.load(std::memory_order_relaxed) > 0 ||
         p.queued_inserts.load(std::memory_order_relaxed) != self->state.inserts_seen;
}

/// The COMMIT that created task `id` (started before it, see claimed_task)
/// ended: its worker may write the outcome, or drops the run.
void committed(dispatcher_pointer self, const std::string& id, bool ok) {
  auto& st = self->state;
  if (st.crashed_uncommitted.erase(id) > 0) {
    // Its worker crashed meanwhile; the task still holds its slot.
    if (ok) return reclaim(self, id);
    st.pipe->slots.give(1);
    return deliver(self, id, {});
  }
  if (auto it = st.running.find(id); it != st.running.end()) {
    auto& w = st.workers[it->second];
    if (ok && w.task) w.task->uncommitted = false;
    self->send(w.handle, ai_commit_atom::value, id, ok);
    return;
  }
  for (auto p = st.pending.begin(); p != st.pending.end(); ++p) {
    if (p->task.id != id) continue;
    if (ok) {
      p->task.uncommitted = false;
    } else {
      st.pending.erase(p);
      st.pipe->slots.give(1);
    }
    return;
  }
}

/// Task `id`'s run is over; with `worker`, only if that worker still runs it.
void called(dispatcher_pointer self, const std::string& id, const caf::actor_addr* worker) {
  auto& st = self->state;
  auto it = st.running.find(id);
  if (it == st.running.end()) return;
  if (worker != nullptr && st.workers[it->second].handle.address() != *worker) return;
  run_ended(self, it->second);
  if (work_may_wait(self)) poll(self);
}

void poll(dispatcher_pointer self) {
  auto& st = self->state;
  if (st.polling) {
    st.poll_again = true;
    return;
  }
  auto pool = st.pipe->svc.service_db.get();
  if (!pool) return;
  int n = st.pipe->slots.take_up_to(poll_batch);
  if (n == 0) {
    // Neither the queue's counters nor the wake-up that brought us here may
    // still say so when the slot frees (a claim that filled every slot left
    // tasks queued; another process's NOTIFY counted nothing here).
    st.poll_owed = true;
    return;
  }
  st.pipe->slots.poll_holds(n);
  st.polling = true;
  st.poll_again = false;
  st.poll_owed = false;
  st.inserts_seen = st.pipe->queued_inserts.load(std::memory_order_relaxed);
  bool own = st.first_poll;
  // Expired leases (a process died) are looked for on the first poll and then
  // at most once per poll interval; the polls between only take queued tasks
  // (see ai/claim.sql).
  auto now = clock::now();
  bool with_expired = own || now - st.last_expired_scan >= ms(st.pipe->cfg.ai_poll_interval_ms);
  if (with_expired) st.last_expired_scan = now;
  db::run(self, pool, service_role, "ai/claim", claim_job(*st.pipe, n, own, with_expired))
      .then(
          [self, n, own](claimed_batch& b) {
            auto& st = self->state;
            st.polling = false;
            if (own) st.first_poll = false;
            int got = static_cast<int>(b.tasks.size());
            st.pipe->slots.poll_ended(got);
            if (b.from_queue > 0) st.pipe->queued_changed(-b.from_queue);
            for (const auto& id : b.ended) deliver(self, id, {});
            for (auto& t : b.tasks) assign(self, std::move(t));
            if (got < n) st.pipe->queued_hint.store(0, std::memory_order_relaxed);  // we saw the queue drained
            if (got == n || st.poll_again || work_may_wait(self)) poll(self);
          },
          [self](caf::error& e) {
            auto& st = self->state;
            st.polling = false;
            st.pipe->slots.poll_ended(0);
            if (clock::now() - st.last_poll_warning > std::chrono::minutes(1)) {
              st.last_poll_warning = clock::now();
              log::warn("AI queue poll failed", {{"error", self->system().render(e)}});
            }
          });
}

void reclaim(dispatcher_pointer self, const std::string& id) {
  auto& st = self->state;
  auto pool = st.pipe->svc.service_db.get();
  auto give_up = [self, id] {
    self->state.pipe->slots.give(1);
    deliver(self, id, {});  // waiters read the task themselves
  };
  if (!pool) return give_up();
  db::run(self, pool, service_role, "ai/claim", claim_job(*st.pipe, 1, true, true, id))
      .then(
          [self, give_up](claimed_batch& b) {
            if (b.tasks.empty()) return give_up();
            assign(self, std::move(b.tasks.front()));
          },
          [give_up](caf::error&) { give_up(); });  // the lease expires; a later claim takes it
}

/// Worker `i` died: count it, start a new one, and run its task again (the
/// slot stays with that task).
void worker_crashed(dispatcher_pointer self, size_t i, const caf::error& reason) {
  auto& st = self->state;
  auto why = reason ? self->system().render(reason) : std::string("exited");
  st.pipe->svc.actors.count_restart("ai_worker", "ai_dispatcher", why);
  auto task = std::move(st.workers[i].task);
  bool called = st.workers[i].called;
  st.workers[i].task.reset();
  st.workers[i].called = false;
  log::warn("AI worker failed; restarting it",
            {{"worker", static_cast<int64_t>(i)}, {"reason", why}, {"task_id", task ? task->id : std::string()}});
  ++st.workers[i].generation;
  st.workers[i].handle = spawn_worker(self, i);
  if (!task) {
    if (std::find(st.idle.begin(), st.idle.end(), i) == st.idle.end()) st.idle.push_back(i);
    return start_pending(self);
  }
  st.running.erase(task->id);
  st.idle.push_back(i);
  // Its row may not be committed yet (a submit started it early): a claim
  // could not see it, so it is claimed again once the commit succeeded.
  auto run_again = [&] {
    if (task->uncommitted) st.crashed_uncommitted.insert(task->id);
    else reclaim(self, task->id);
  };
  if (!called) {
    --st.calling;  // the task keeps its slot: claimed again, it runs once more
    start_pending(self);
    return run_again();
  }
  // It crashed while persisting the outcome: its slot went to the next task
  // already. Run it again with a free slot; with none, its lease runs out and
  // a claim (here or elsewhere) takes it over.
  start_pending(self);
  if (st.pipe->slots.take()) return run_again();
  deliver(self, task->id, {});  // waiters read the task themselves
}

void renew(dispatcher_pointer self) {
  auto& st = self->state;
  auto pool = st.pipe->svc.service_db.get();
  if (st.renewing || !pool || (st.running.empty() && st.pending.empty())) return;
  st.renewing = true;
  // Only tasks held before the renewal began can be missing from its answer
  // because their lease was lost; one claimed meanwhile is not in its snapshot.
  // A task whose creating COMMIT is still under way is not in it either.
  std::vector<std::string> before;
  before.reserve(st.running.size());
  for (const auto& [id, w] : st.running)
    if (!st.workers[w].task || !st.workers[w].task->uncommitted) before.push_back(id);
  db::run(self, pool, service_role, "ai/renew_leases", renew_job(*st.pipe))
      .then(
          [self, before = std::move(before)](lease_batch& b) {
            auto& st = self->state;
            st.renewing = false;
            std::unordered_set<std::string> held(b.held.begin(), b.held.end());
            for (const auto& id : b.cancel)
              if (auto it = st.running.find(id); it != st.running.end())
                self->send(st.workers[it->second].handle, ai_cancel_atom::value, id);
            for (auto& p : st.pending)
              for (const auto& id : b.cancel) p.task.cancel_requested = p.task.cancel_requested || p.task.id == id;
            // A running task whose lease another process took over: stop calling
            // the provider (the worker's final write will change nothing).
            for (const auto& id : before) {
              auto it = st.running.find(id);
              if (it != st.running.end() && !held.count(id))
                self->send(st.workers[it->second].handle, ai_cancel_atom::value, id);
            }
          },
          [self](caf::error& e) {
            self->state.renewing = false;
            log::warn("AI lease renewal failed", {{"error", self->system().render(e)}});
          });
}

void count(dispatcher_pointer self) {
  auto& st = self->state;
  auto pool = st.pipe->svc.service_db.get();
  if (st.counting || !pool) return;
  st.counting = true;
  db::run(self, pool, service_role, "ai/count_by_status", count_job())
      .then(
          [self](status_counts& c) {
            auto& st = self->state;
            st.counting = false;
            for (size_t i = 0; i < statuses.size(); ++i) {
              int64_t v = 0;
              for (size_t k = 0; k < c.status.size(); ++k)
                if (c.status[k] == statuses[i]) v = c.count[k];
              st.pipe->by_status[i]->set(v);
              if (i == 0) st.pipe->queued_hint.store(v, std::memory_order_relaxed);
            }
          },
          [self](caf::error&) { self->state.counting = false; });
}

/// Waiters on tasks that do not run here: look once for those that ended
/// elsewhere.
void check_remote(dispatcher_pointer self) {
  auto& st = self->state;
  auto pool = st.pipe->svc.service_db.get();
  if (st.checking_remote || st.waiters.empty() || !pool) return;
  std::vector<std::string> ids;
  for (const auto& [id, list] : st.waiters) {
    if (st.running.count(id)) continue;
    bool pending = false;
    for (const auto& p : st.pending) pending = pending || p.task.id == id;
    if (!pending) ids.push_back(id);
    if (ids.size() >= 500) break;
  }
  if (ids.empty()) return;
  st.checking_remote = true;
  db::run(self, pool, service_role, "ai/finished_tasks", finished_tasks_job(std::move(ids)))
      .then(
          [self](std::vector<task_doc>& docs) {
            self->state.checking_remote = false;
            for (const auto& d : docs) {
              remember(self, d.id, d.json);
              deliver(self, d.id, d.json);
            }
          },
          [self](caf::error&) { self->state.checking_remote = false; });
}

/// Tells the other processes (NOTIFY) that local submits queued tasks, at
/// most once per announce_window; what is queued meanwhile is announced at
/// the end of the window.
void announce(dispatcher_pointer self) {
  auto& st = self->state;
  auto wait = st.last_announce + announce_window - clock::now();
  if (wait > clock::duration::zero()) {
    if (!st.announce_armed) {
      st.announce_armed = true;
      self->delayed_send(self, std::chrono::duration_cast<std::chrono::milliseconds>(wait) + ms(1),
                         ai_announce_atom::value);
    }
    return;
  }
  st.announce_armed = false;
  auto pool = st.pipe->svc.service_db.get();
  if (!pool) {  // the service pool restarts: try again in a while
    st.announce_armed = true;
    self->delayed_send(self, std::chrono::seconds(1), ai_announce_atom::value);
    return;
  }
  if (!st.pipe->announce_owed.exchange(false, std::memory_order_acq_rel)) return;
  st.last_announce = clock::now();
  db::run(self, pool, service_role, "ai/announce_queued", announce_job())
      .then([](bool) {},
            [self](caf::error&) {
              // The others still find the tasks at their next poll; try again.
              self->state.pipe->announce_owed.store(true, std::memory_order_release);
              self->send(self, ai_announce_atom::value);
            });
}

/// Answers every waiter before the dispatcher goes (a dropped promise would
/// leave them to the HTTP deadline): after a crash with "" (they read the
/// task themselves), on shutdown with 503 (the database is going too).
void release_waiters(dispatcher_pointer self, bool shutdown) {
  auto& st = self->state;
  for (auto& [id, list] : st.waiters)
    for (auto& w : list) {
      if (shutdown)
        w.promise.deliver(fail_unavailable("the server is shutting down; retry", 1));
      else
        w.promise.deliver(std::string{});
    }
  st.waiters.clear();
  st.deadlines.clear();
}

}  // namespace

caf::behavior ai_dispatcher(dispatcher_pointer self, pipeline* pipe) {
  auto& st = self->state;
  st.pipe = pipe;
  st.info = pipe->svc.actors.add("ai_dispatcher", "ai_dispatcher", "ai_supervisor");
  auto info = st.info;
  auto* svc = &pipe->svc;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  self->set_exception_handler(
      [self, log_crash = crash_logger("ai_dispatcher", "ai_dispatcher")](std::exception_ptr& e) {
        release_waiters(self, false);
        return log_crash(e);
      });
  self->set_error_handler([](caf::error&) {});
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& st = self->state;
    for (size_t i = 0; i < st.workers.size(); ++i)
      if (st.workers[i].handle && st.workers[i].handle.address() == em.source)
        return worker_crashed(self, i, em.reason);
    release_waiters(self, true);
    self->quit(em.reason);  // our supervisor stops us; the linked workers go with us
  });
  // The recorder persists the workers' outcomes in batches; linked, so a
  // crash of it ends this dispatcher (and its workers), which the supervisor
  // restarts.
  st.recorder = self->spawn<caf::linked>(ai_recorder, pipe);
  auto n = static_cast<size_t>(pipe->cfg.ai_concurrency);
  st.max_calling = static_cast<int>(n);
  st.workers.resize(2 * n);
  for (size_t i = st.workers.size(); i-- > 0;) {
    st.workers[i].handle = spawn_worker(self, i);
    st.idle.push_back(i);
  }
  pipe->slots.reset(static_cast<int>(n) + claim_ahead(static_cast<int>(n)));
  auto lease_ms = std::max(100, pipe->cfg.ai_lease_seconds * 1000 / 3);
  self->send(self, ai_poll_atom::value);  // resume the queue the database holds
  self->send(self, ai_count_atom::value);
  if (pipe->announce_owed.load(std::memory_order_acquire)) self->send(self, ai_announce_atom::value);
  self->delayed_send(self, ms(lease_ms), ai_renew_atom::value);
  return {
      [=](ai_start_atom, claimed_task& t) {
        self->state.info->handled();
        assign(self, std::move(t));
      },
      [=](ai_commit_atom, const std::string& id, bool ok) { committed(self, id, ok); },
      [=](ai_called_atom, const std::string& id) { called(self, id, nullptr); },
      [=](ai_called_atom, const std::string& id, const caf::actor_addr& worker) {
        // From the outbound client's thread when a worker's provider call
        // ended: counted only if that worker still runs the task (not a
        // call of a worker that crashed and whose task runs again).
        called(self, id, &worker);
      },
      [=](ai_done_atom, std::string& id, task_doc& doc) {
        auto& st = self->state;
        st.info->handled();
        auto it = st.running.find(id);
        if (it == st.running.end()) return;
        auto w = it->second;
        st.running.erase(it);
        if (!doc.json.empty()) remember(self, id, doc.json);
        deliver(self, id, doc.json);
        worker_free(self, w);
        if (work_may_wait(self)) poll(self);
      },
      [=](ai_wait_atom, std::string& id, int64_t limit_ms) -> caf::result<std::string> {
        auto& st = self->state;
        st.info->handled();
        if (auto it = st.recent.find(id); it != st.recent.end()) return it->second;
        return add_waiter(self, id, std::chrono::milliseconds(std::max<int64_t>(0, limit_ms)));
      },
      [=](ai_cancel_atom, std::string& id) -> caf::result<std::string> {
        auto& st = self->state;
        st.info->handled();
        if (auto it = st.running.find(id); it != st.running.end()) {
          self->send(st.workers[it->second].handle, ai_cancel_atom::value, id);
          return add_waiter(self, id, cancel_wait);
        }
        for (auto& p : st.pending)
          if (p.task.id == id) {
            p.task.cancel_requested = true;  // its worker ends it as cancelled
            return add_waiter(self, id, cancel_wait);
          }
        if (auto it = st.recent.find(id); it != st.recent.end()) return it->second;
        return std::string{};
      },
      [=](ai_expire_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.expiry_generation) return;  // superseded by an earlier tick
        st.expiry_armed_at = clock::time_point::max();
        expire_waiters(self);
        arm_expiry(self);
      },
      [=](ai_wake_atom) {
        self->state.info->handled();
        poll(self);
      },
      [=](ai_announce_atom) {
        self->state.info->handled();
        announce(self);
      },
      [=](ai_poll_atom) {
        auto& st = self->state;
        st.info->mailbox(static_cast<int64_t>(self->mailbox().size()));
        poll(self);
        check_remote(self);
        trim_recent(self);
        self->delayed_send(self, ms(st.pipe->cfg.ai_poll_interval_ms), ai_poll_atom::value);
      },
      [=](ai_renew_atom) {
        renew(self);
        self->delayed_send(self, ms(lease_ms), ai_renew_atom::value);
      },
      [=](ai_count_atom) {
        count(self);
        self->delayed_send(self, ms(self->state.pipe->cfg.ai_metrics_interval_ms), ai_count_atom::value);
      },
  };
}

}  // namespace trainia::ai
