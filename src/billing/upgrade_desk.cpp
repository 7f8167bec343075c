#include "billing/upgrade_desk.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "billing/upgrade_flow.hpp"
#include "core/error.hpp"
#include "net/actor_call.hpp"

#include <caf/all.hpp>

namespace trainia::billing {

void upgrade_finished(upgrade_desk_pointer self, const std::string& user_id) {
  auto& st = self->state;
  auto it = st.queues.find(user_id);
  if (it == st.queues.end()) return;
  it->second.pop_front();
  --st.pending;
  st.info->mailbox(static_cast<int64_t>(st.pending));
  if (it->second.empty()) {
    st.queues.erase(it);
    return;
  }
  start_upgrade(self, it->second.front());
}

caf::behavior upgrade_desk(upgrade_desk_pointer self, services* svc) {
  auto& st = self->state;
  st.svc = svc;
  st.info = svc->actors.add("upgrade_desk", "upgrade_desk", "billing_supervisor");
  auto info = st.info;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  self->set_exception_handler(crash_logger("upgrade_desk", "upgrade_desk"));
  self->set_error_handler([](caf::error&) {});
  return {
      [=](stripe_upgrade_atom, upgrade_request& r) -> caf::result<caf::message> {
        auto& st = self->state;
        st.info->handled();
        const plan* target = st.svc->plans->by_name(r.plan);
        if (!target || target->price_id.empty())
          return fail_validation({{"plan", "must be a paid plan of the catalog"}});
        auto f = std::make_shared<upgrade_flow>();
        f->target = target;
        f->promise = self->make_response_promise();
        f->request = std::move(r);
        auto& q = st.queues[f->request.user_id];
        q.push_back(f);
        st.info->mailbox(static_cast<int64_t>(++st.pending));
        if (q.size() == 1) start_upgrade(self, f);
        return f->promise;
      },
      [=](run_atom, net::actor_task& t) { t(); },
  };
}

}  // namespace trainia::billing
