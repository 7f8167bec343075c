#include "billing/sweep.hpp"

#include "db/tx.hpp"

#include <caf/make_message.hpp>

namespace trainia::billing {

std::function<caf::message(db::tx&)> unapplied_page_job(int min_age_seconds, int64_t after_created, int64_t after_id,
                                                        int limit) {
  return [=](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/unapplied_events");
    auto r = t.exec(stmt, {min_age_seconds, after_created, after_id, limit});
    if (!r) return caf::make_message(std::move(r.error()));
    unapplied_page page;
    for (int i = 0; i < r->rows(); ++i) {
      page.event_ids.push_back(r->text(i, 0));
      page.routing_keys.push_back(r->text(i, 1));
      page.last_created = r->int64(i, 2);
      page.last_id = r->int64(i, 3);
    }
    page.full = r->rows() >= limit;
    return caf::make_message(std::move(page));
  };
}

}  // namespace trainia::billing
