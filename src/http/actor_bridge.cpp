#include "http/actor_bridge.hpp"

#include "actors/atoms.hpp"

#include <caf/all.hpp>

namespace trainia::http {

caf::actor spawn_bridge(caf::actor_system& sys) {
  return sys.spawn<caf::lazy_init>([](caf::event_based_actor* self) -> caf::behavior {
    // A bridge must never die of a stray error or message: it serves a socket.
    self->set_error_handler([](caf::error&) {});
    self->set_default_handler(caf::drop);
    return {
      [=](run_atom, bridge_task& task) { task(self); },
    };
  });
}

}  // namespace trainia::http
