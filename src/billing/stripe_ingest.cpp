#include "billing/stripe_ingest.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "billing/ledger.hpp"
#include "core/error.hpp"
#include "db/run.hpp"

#include <caf/all.hpp>

#include <unordered_set>

namespace trainia::billing {
namespace {

using ingest_pointer = caf::stateful_actor<stripe_ingest_state>*;

/// What the continuation of one batch needs of each delivery (the bodies went to the job).
struct batch_entry {
  std::string event_id, type, routing_key;
  std::shared_ptr<const nlohmann::json> doc;
  caf::response_promise promise;
};

void answer(ingest_pointer self, std::vector<batch_entry>& entries, const stored_batch& stored) {
  auto& svc = *self->state.svc;
  std::unordered_map<std::string_view, const stored_event*> by_id;
  for (const auto& e : stored.events) by_id.emplace(e.event_id, &e);
  std::unordered_set<std::string_view> seen;
  for (auto& e : entries) {
    auto it = by_id.find(e.event_id);
    const stored_event* row = it == by_id.end() ? nullptr : it->second;
    bool first_copy = seen.insert(e.event_id).second;
    bool duplicate = !(row && row->inserted && first_copy);
    if (duplicate) svc.metrics.stripe_events.with({{"type", e.type}, {"outcome", "duplicate"}}).inc();
    // Apply what this batch stored, and retry what an earlier delivery stored but
    // never got applied (the apply step is idempotent under the ledger row lock).
    if (row && row->unapplied && first_copy)
      self->send(self->state.router, stripe_apply_atom::value, apply_request{e.event_id, e.routing_key, e.doc, false});
    e.promise.deliver(ingest_ack{duplicate});
  }
}

void pump(ingest_pointer self) {
  auto& st = self->state;
  while (st.in_flight < ingest_batches_in_flight && !st.queue.empty()) {
    size_t n = 0, bytes = 0;
    while (n < st.queue.size() && n < ingest_batch_events &&
           (n == 0 || bytes + st.queue[n].delivery.body->size() <= ingest_batch_bytes))
      bytes += st.queue[n++].delivery.body->size();
    std::vector<stripe_delivery> batch;
    auto entries = std::make_shared<std::vector<batch_entry>>();
    batch.reserve(n);
    entries->reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto& w = st.queue[i];
      entries->push_back({w.delivery.event.id, w.delivery.event.type, w.delivery.event.routing_key(),
                          w.delivery.event.doc, std::move(w.promise)});
      batch.push_back(std::move(w.delivery));
    }
    st.queue.erase(st.queue.begin(), st.queue.begin() + static_cast<std::ptrdiff_t>(n));
    auto pool = st.svc->service_db.get();
    if (!pool) {
      auto e = fail_unavailable("the database is unavailable", 2, "no service pool");
      for (auto& x : *entries) x.promise.deliver(e);
      continue;
    }
    ++st.in_flight;
    db::run(self, pool, {db::role::service, {}}, "billing/store_events", store_events_job(std::move(batch)))
        .then(
            [=](stored_batch& stored) {
              --self->state.in_flight;
              answer(self, *entries, stored);
              pump(self);
            },
            [=](caf::error& e) {
              --self->state.in_flight;
              for (auto& x : *entries) x.promise.deliver(e);
              pump(self);
            });
  }
}

}  // namespace

caf::behavior stripe_ingest(caf::stateful_actor<stripe_ingest_state>* self, services* svc, caf::actor router) {
  auto& st = self->state;
  st.svc = svc;
  st.router = std::move(router);
  st.info = svc->actors.add("stripe_ingest", "stripe_ingest", "billing_supervisor");
  auto info = st.info;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  self->set_exception_handler(crash_logger("stripe_ingest", "stripe_ingest"));
  self->set_error_handler([](caf::error&) {});
  return {
      [=](stripe_ingest_atom, stripe_delivery& d) -> caf::result<caf::message> {
        auto& st = self->state;
        st.info->handled();
        auto rp = self->make_response_promise();
        st.queue.push_back({std::move(d), rp});
        st.info->mailbox(static_cast<int64_t>(st.queue.size()));
        pump(self);
        return rp;
      },
  };
}

}  // namespace trainia::billing
