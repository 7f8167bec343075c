#pragma once

#include "db/job.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace trainia::billing {

/// One page of ledger events to apply now, in (created, arrival) order: stored
/// but not yet applied (outcome NULL), or waiting for a customer link
/// (pending_link) whose customer has been linked meanwhile by any path
/// (checkout applies those at once; the upgrade endpoint, reconcile or an
/// operator may link customers too).
struct unapplied_page {
  std::vector<std::string> event_ids;
  std::vector<std::string> routing_keys;
  int64_t last_created = 0;  // keyset cursor of the last row
  int64_t last_id = 0;
  bool full = false;  // the page was full: there may be more
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unapplied_page& x) {
  return f(x.event_ids, x.routing_keys, x.last_created, x.last_id, x.full);
}

/// Job (service role): the next page after the cursor (created, id): events
/// received at least `min_age_seconds` ago and still unapplied, and
/// pending_link events of customers now linked. Replies `unapplied_page`.
std::function<caf::message(db::tx&)> unapplied_page_job(int min_age_seconds, int64_t after_created, int64_t after_id,
                                                        int limit);

}  // namespace trainia::billing
