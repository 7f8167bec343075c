#include "billing/ledger.hpp"

#include "core/error.hpp"
#include "db/array_literal.hpp"
#include "db/tx.hpp"

#include <caf/make_message.hpp>

#include <algorithm>
#include <unordered_map>

namespace trainia::billing {
std::function<caf::message(db::tx&)> store_events_job(std::vector<stripe_delivery> batch) {
  return [batch = std::move(batch)](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/store_events");
    // Fold copies of one id; remember the first delivery of each.
    std::unordered_map<std::string_view, size_t> slot;
    std::vector<size_t> first;
    std::vector<int> copies;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto [it, fresh] = slot.emplace(batch[i].event.id, first.size());
      if (fresh) {
        first.push_back(i);
        copies.push_back(1);
      } else {
        ++copies[it->second];
      }
    }
    std::vector<size_t> order(first.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return batch[first[a]].event.id < batch[first[b]].event.id; });
    std::vector<std::string_view> ids, types, payloads, subs, custs;
    std::vector<int64_t> created;
    std::vector<int> counts;
    for (auto k : order) {
      const auto& d = batch[first[k]];
      ids.push_back(d.event.id);
      types.push_back(d.event.type);
      payloads.push_back(*d.body);
      subs.push_back(d.event.subscription_id);
      custs.push_back(d.event.customer_id);
      created.push_back(d.event.created);
      counts.push_back(copies[k]);
    }
    auto r =
        t.exec_commit(stmt, {db::text_array(ids), db::text_array(types), db::text_array(payloads), db::int_array(created),
                             db::text_array(subs), db::text_array(custs), db::int_array(counts)});
    if (!r) return caf::make_message(std::move(r.error()));
    stored_batch out;
    out.events.reserve(static_cast<size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) out.events.push_back({r->text(i, 0), r->boolean(i, 1), r->boolean(i, 2)});
    return caf::make_message(std::move(out));
  };
}

std::function<caf::message(db::tx&)> event_route_job(std::string event_id) {
  return [event_id = std::move(event_id)](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/event_route");
    auto r = t.exec(stmt, {event_id});
    if (!r) return caf::make_message(std::move(r.error()));
    if (r->empty()) return caf::make_message(fail(errc::not_found, "no such Stripe event"));
    return caf::make_message(r->text(0, 0));
  };
}

std::function<caf::message(db::tx&)> fail_event_job(std::string event_id, std::string error) {
  return [event_id = std::move(event_id), error = std::move(error)](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/fail_event");
    auto r = t.exec_commit(stmt, {event_id, error});
    if (!r) return caf::make_message(std::move(r.error()));
    return caf::make_message(true);
  };
}

}  // namespace trainia::billing
