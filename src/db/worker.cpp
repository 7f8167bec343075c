#include "db/worker.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "core/error.hpp"
#include "db/sqlstate.hpp"
#include "db/tx.hpp"

#include <caf/all.hpp>

namespace trainia::db {
namespace {

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{2000};

}  // namespace

caf::behavior db_worker(caf::stateful_actor<worker_state>* self, caf::actor pool, connect_options opts,
                        std::string instance_id, std::shared_ptr<actor_info> info, obs::histogram* latency) {
  self->state.info = std::move(info);
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
      if (!c) return mark_down();
      st.conn = std::move(*c);
      st.backoff = std::chrono::milliseconds{0};
      st.reported_down = false;
      st.info->state("idle");
      self->send(pool, worker_up_atom::value, caf::actor_cast<caf::actor>(self));
    },
    [=](db_exec_atom, job& j) -> caf::message {
      auto& st = self->state;
      st.info->handled();
      if (!st.conn || !st.conn->healthy()) {
        mark_down();
        return caf::make_message(connection_lost("no connection"));
      }
      st.info->state("busy");
      auto started = std::chrono::steady_clock::now();
      caf::message reply;
      {
        tx t(*st.conn, j.who, instance_id);
        try {
          reply = j.fn(t);
        } catch (const std::exception& e) {
          // A job must not take the connection's actor down with it.
          reply = caf::make_message(fail(errc::internal, "internal error", std::string("db job threw: ") + e.what()));
        }
        bool ok = !reply.match_elements<caf::error>();
        if (auto e = t.finish(ok); e && ok) reply = caf::make_message(std::move(e));
      }
      st.latency->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!st.conn->healthy()) {
        mark_down();
      } else {
        st.info->state("idle");
        self->send(pool, worker_idle_atom::value, caf::actor_cast<caf::actor>(self));
      }
      return reply;
    },
    [=](crash_atom) {
      throw std::runtime_error("injected db worker crash");
    },
  };
}

}  // namespace trainia::db
