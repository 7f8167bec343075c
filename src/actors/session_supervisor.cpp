#include "actors/session_supervisor.hpp"

#include "actors/atoms.hpp"
#include "core/heap.hpp"

#include <caf/all.hpp>


namespace trainia {

namespace {
constexpr auto heap_trim_period = std::chrono::seconds(5);
}  // namespace

caf::behavior session_supervisor(caf::stateful_actor<session_supervisor_state>* self, services* svc,
                                 std::string parent) {
  auto& st = self->state;
  st.svc = svc;
  st.info = svc->actors.add("session_supervisor", "session_supervisor", parent);
  auto info = st.info;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  self->set_error_handler([](caf::error&) {});
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    st.watched.erase(dm.source);
    st.info->mailbox(static_cast<int64_t>(self->mailbox().size()));
    if (!st.trim_due) {
      st.trim_due = true;
      self->delayed_send(self, std::chrono::seconds(1), idle_check_atom::value);
    }
    if (!dm.reason || dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::unreachable ||
        dm.reason == caf::exit_reason::normal)
      return;
    st.svc->actors.count_restart("user_session", "session_supervisor", self->system().render(dm.reason));
  });
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (const auto& a : self->state.watched)
      if (auto h = caf::actor_cast<caf::actor>(a)) self->send_exit(h, caf::exit_reason::user_shutdown);
    self->state.watched.clear();
    self->quit(em.reason);
  });
  self->delayed_send(self, heap_trim_period, tick_atom::value);
  return {
    [=](watch_atom, caf::actor& session) {
      self->state.info->handled();
      self->monitor(session);
      self->state.watched.insert(session.address());
    },
    [=](idle_check_atom) {
      self->state.trim_due = false;
      heap::trim();
    },
    [=](tick_atom) {
      heap::trim();
      self->delayed_send(self, heap_trim_period, tick_atom::value);
    },
  };
}

}  // namespace trainia
