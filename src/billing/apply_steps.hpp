#pragma once

#include "billing/apply_event.hpp"
#include "db/statement.hpp"
#include "db/tx.hpp"

#include <caf/error.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

/// Internals of apply_event_job, shared by the per-type steps.
namespace trainia::billing::detail {

/// One apply run: the locked event and what the run decided so far.
struct apply_scope {
  db::tx& t;
  const plan_catalog& plans;
  const apply_input& in;
  std::string event_id;
  std::string type;
  int64_t created = 0;
  const nlohmann::json& object;         // data.object
  std::optional<std::string> previous;  // outcome recorded before this run
  apply_result& out;
  /// Statements sent with the outcome and COMMIT in the final round trip.
  std::vector<std::pair<const db::statement*, db::params>> tail;

  void applied(std::string note = {}) {
    out.outcome = "applied";
    out.note = std::move(note);
  }
  void failed(std::string why) {
    out.outcome = "failed";
    out.error = std::move(why);
  }
  /// Queues an audit_log row (actor 'stripe', action = event type).
  void audit(const std::string& clerk_user_id, const std::string& subject, nlohmann::json details);
};

/// The user linked to a customer, read under that customer's advisory lock
/// (which serialises linking against pending_link decisions).
struct customer_link {
  std::string profile_id;  // "" if not linked
  std::string clerk_user_id;
};
caf::expected<customer_link> lock_customer(apply_scope& s, const std::string& customer_id);

caf::error apply_subscription(apply_scope& s);
caf::error apply_checkout(apply_scope& s);
caf::error apply_invoice(apply_scope& s);

}  // namespace trainia::billing::detail
