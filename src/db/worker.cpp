#include "db/worker.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "core/error.hpp"
#include "core/heap.hpp"
#include "db/sqlstate.hpp"
#include "db/tx.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

namespace trainia::db {
namespace {

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{2000};
// A worker idle this long gives its thread's heap back (heap::release_thread_top).
constexpr std::chrono::seconds idle_release{1};

/// Runs `work` on the worker's connection with the bookkeeping of a job:
/// state, latency, and telling the pool when the connection is idle again or
/// lost. `jobs` is the number of jobs `work` serves (for the error reply).
template <class MarkDown, class Work>
auto serve(caf::stateful_actor<worker_state>* self, MarkDown& mark_down, size_t jobs, Work work)
  -> decltype(work(*self->state.conn)) {
  using reply_type = decltype(work(*self->state.conn));
  auto& st = self->state;
  st.info->handled();
  if (!st.conn || !st.conn->healthy()) {
    mark_down();
    auto lost = caf::make_message(connection_lost("no connection"));
    if constexpr (std::is_same_v<reply_type, group_replies>)
      return group_replies{std::vector<caf::message>(jobs, lost)};
    else
      return lost;
  }
  st.info->state("busy");
  auto started = std::chrono::steady_clock::now();
  auto reply = work(*st.conn);
  st.last_job_end = std::chrono::steady_clock::now();
  st.latency->observe(std::chrono::duration<double>(st.last_job_end - started).count());
  st.heap_used = true;
  if (!st.release_armed) {
    st.release_armed = true;
    self->delayed_send(self, idle_release, tick_atom::value);
  }
  if (!st.conn->healthy()) {
    mark_down();
  } else {
    st.info->state("idle");
    self->send(st.pool, worker_idle_atom::value, caf::actor_cast<caf::actor>(self));
  }
  return reply;
}

}  // namespace

caf::behavior db_worker(caf::stateful_actor<worker_state>* self, caf::actor pool, connect_options opts,
                        std::string instance_id, std::shared_ptr<actor_info> info, obs::histogram* latency) {
  self->state.info = std::move(info);
  self->state.pool = pool;
  self->state.latency = latency;
  self->set_error_handler([](caf::error&) {});
  self->set_exception_handler(crash_logger("db_worker", self->state.info->name()));
  auto mark_down = [=] {
    auto& st = self->state;
    st.conn.reset();
    st.info->state("connecting");
    if (!st.reported_down) {
      st.reported_down = true;
      self->send(pool, worker_down_atom::value, caf::actor_cast<caf::actor>(self));
    }
    st.backoff = st.backoff.count() == 0 ? first_backoff : std::min(max_backoff, st.backoff * 2);
    self->delayed_send(self, st.backoff, connect_atom::value);
  };
  self->send(self, connect_atom::value);
  return {
    [=](connect_atom) {
      auto& st = self->state;
      if (st.conn && st.conn->healthy()) return;
      auto c = connection::open(opts);
      if (!c) {
        // Once per outage: why the database refused (a wrong password, an
        // unknown setting in PGOPTIONS, …) is the operator's first question.
        if (!st.reported_down)
          log::warn("database connection failed; retrying",
                    {{"actor", st.info->name()}, {"reason", info_of(c.error()).internal}});
        return mark_down();
      }
      st.conn = std::move(*c);
      st.backoff = std::chrono::milliseconds{0};
      st.reported_down = false;
      st.info->state("idle");
      self->send(pool, worker_up_atom::value, caf::actor_cast<caf::actor>(self));
    },
    [=](db_exec_atom, job& j) -> caf::message {
      return serve(self, mark_down, 1, [&](connection& c) { return run_job(c, j, instance_id); });
    },
    [=](db_group_atom, job_group& g) -> group_replies {
      auto n = g.jobs.size();
      return serve(self, mark_down, n, [&](connection& c) { return group_replies{run_group(c, g, instance_id)}; });
    },
    [=](crash_atom) {
      throw std::runtime_error("injected db worker crash");
    },
    // Results are allocated on this thread (libpq); a group's can take a few
    // hundred KiB of its arena, which glibc keeps unless told. Released once
    // the worker has been idle for idle_release, checked by one timer per
    // idle_release at most (a receive timeout, re-armed each time the mailbox
    // empties, cost a wake-up of CAF's clock thread per job).
    [=](tick_atom) {
      auto& st = self->state;
      st.release_armed = false;
      if (!st.heap_used) return;
      auto idle_for = std::chrono::steady_clock::now() - st.last_job_end;
      if (idle_for < idle_release) {
        st.release_armed = true;
        self->delayed_send(self, std::chrono::ceil<std::chrono::milliseconds>(idle_release - idle_for),
                           tick_atom::value);
        return;
      }
      st.heap_used = false;
      heap::release_thread_top();
    },
  };
}

}  // namespace trainia::db
