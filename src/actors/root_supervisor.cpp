#include "actors/root_supervisor.hpp"

#include "actors/atoms.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

namespace trainia {

namespace {

void start_child(caf::stateful_actor<root_state>* self, size_t i) {
  auto& st = self->state;
  auto child = st.specs[i].start(self->system());
  self->monitor(child);
  st.children[i] = child;
  if (st.specs[i].slot) st.specs[i].slot->set(child);
}

}  // namespace

caf::behavior root_supervisor(caf::stateful_actor<root_state>* self, services* svc, std::vector<child_spec> specs) {
  auto& st = self->state;
  st.svc = svc;
  st.specs = std::move(specs);
  st.children.resize(st.specs.size());
  for (const auto& s : st.specs) st.trackers.emplace_back(s.policy);
  st.info = svc->actors.add("root_supervisor", "root_supervisor", "");
  auto info = st.info;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  for (size_t i = 0; i < st.specs.size(); ++i) start_child(self, i);

  self->set_error_handler([](caf::error&) {});
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (size_t i = 0; i < st.children.size(); ++i) {
      if (!st.children[i] || st.children[i].address() != dm.source) continue;
      st.children[i] = nullptr;
      if (st.specs[i].slot) st.specs[i].slot->clear();
      if (st.stopping) return;
      auto reason = dm.reason ? self->system().render(dm.reason) : std::string("exited");
      st.svc->actors.count_restart(st.specs[i].name, "root_supervisor", reason);
      auto d = st.trackers[i].on_failure(std::chrono::steady_clock::now());
      if (d.give_up) {
        log::error("child over its restart budget; stopping", {{"actor", st.specs[i].name}, {"reason", reason}});
        self->quit(dm.reason ? dm.reason : caf::make_error(caf::sec::runtime_error));
        return;
      }
      log::warn("child failed; restarting",
                {{"actor", st.specs[i].name}, {"reason", reason}, {"delay_ms", static_cast<int64_t>(d.delay.count())}});
      self->delayed_send(self, d.delay, restart_atom::value, static_cast<uint64_t>(i));
      return;
    }
  });
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    st.stopping = true;
    for (size_t i = st.children.size(); i-- > 0;) {
      if (st.specs[i].slot) st.specs[i].slot->clear();
      if (st.children[i]) self->send_exit(st.children[i], caf::exit_reason::user_shutdown);
    }
    self->quit(em.reason);
  });
  return {
    [=](restart_atom, uint64_t i) {
      auto& st = self->state;
      if (st.stopping || i >= st.children.size() || st.children[i]) return;
      start_child(self, i);
    },
  };
}

}  // namespace trainia
