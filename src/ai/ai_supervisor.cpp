#include "ai/ai_supervisor.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "ai/dispatcher.hpp"
#include "ai/pipeline.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

namespace trainia::ai {

namespace {

void start_dispatcher(caf::stateful_actor<supervisor_state>* self) {
  auto& st = self->state;
  st.dispatcher = self->spawn<caf::monitored>(ai_dispatcher, st.pipe);
  st.pipe->dispatcher.set(st.dispatcher);
}

}  // namespace

caf::behavior ai_supervisor(caf::stateful_actor<supervisor_state>* self, pipeline* pipe) {
  auto& st = self->state;
  st.pipe = pipe;
  st.tracker = restart_tracker(restart_policy{.max_restarts = 10, .escalate = true});
  st.info = pipe->svc.actors.add("ai_supervisor", "ai_supervisor", "root_supervisor");
  auto info = st.info;
  auto* svc = &pipe->svc;
  self->attach_functor([svc, info, pipe](const caf::error&) {
    pipe->dispatcher.clear();
    svc->actors.remove(info);
  });
  self->set_exception_handler(crash_logger("ai_supervisor", "ai_supervisor"));
  self->set_error_handler([](caf::error&) {});
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (!st.dispatcher || dm.source != st.dispatcher.address()) return;
    st.dispatcher = nullptr;
    st.pipe->dispatcher.clear();
    if (st.stopping) return;
    auto why = dm.reason ? self->system().render(dm.reason) : std::string("exited");
    st.pipe->svc.actors.count_restart("ai_dispatcher", "ai_supervisor", why);
    auto d = st.tracker.on_failure(std::chrono::steady_clock::now());
    if (d.give_up) {
      log::error("AI dispatcher over its restart budget", {{"reason", why}});
      self->quit(dm.reason ? dm.reason : caf::make_error(caf::sec::runtime_error));
      return;
    }
    log::warn("AI dispatcher failed; restarting",
              {{"reason", why}, {"delay_ms", static_cast<int64_t>(d.delay.count())}});
    self->delayed_send(self, d.delay, restart_atom::value);
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& st = self->state;
    st.stopping = true;
    st.pipe->dispatcher.clear();
    if (st.dispatcher) self->send_exit(st.dispatcher, caf::exit_reason::user_shutdown);
    st.dispatcher = nullptr;
    self->quit(em.reason);
  });
  start_dispatcher(self);
  return {
      [=](restart_atom) {
        auto& st = self->state;
        if (!st.stopping && !st.dispatcher) start_dispatcher(self);
      },
  };
}

child_spec supervisor_spec(pipeline& pipe) {
  return {"ai_supervisor", [&pipe](caf::actor_system& sys) { return sys.spawn(ai_supervisor, &pipe); }, nullptr, {}};
}

void wake_dispatcher(pipeline* pipe) {
  if (!pipe) return;
  if (auto d = pipe->dispatcher.get()) caf::anon_send(d, ai_wake_atom::value);
}

}  // namespace trainia::ai
