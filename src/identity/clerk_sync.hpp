#pragma once

#include "identity/clerk_event.hpp"

#include <caf/message.hpp>

#include <functional>
#include <string>

namespace trainia::db {
class tx;
}

namespace trainia::identity {

/// What one delivery did.
struct clerk_sync_result {
  std::string outcome;  // applied | stale | ignored | duplicate
  std::string user_id;  // the Clerk user concerned; empty for ignored types
  bool changed() const { return outcome == "applied" && !user_id.empty(); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, clerk_sync_result& x) {
  return f(x.outcome, x.user_id);
}

/// Job for the service pool (role::service): records delivery `svix_id` in
/// the ledger and applies `ev` in the same transaction, committed before the
/// reply. Deliveries about one user are serialised across processes by a
/// transaction-scoped advisory lock; a svix-id already in the ledger (also
/// one committed by a concurrent copy while this waited) has no effect and
/// replies `duplicate`. Replies `clerk_sync_result`, or an error (the
/// transaction is then rolled back: nothing recorded).
std::function<caf::message(db::tx&)> sync_job(std::string svix_id, clerk_event ev);

}  // namespace trainia::identity
