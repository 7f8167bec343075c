#pragma once

#include "billing/stripe_event.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

/// The message vocabulary of the billing actors (src/billing). Atoms live in
/// actors/atoms.hpp; the protocols are documented at each actor.
namespace trainia::billing {

/// A verified, parsed webhook delivery, from the HTTP handler to stripe_ingest.
/// The raw body and the parsed document are shared, never copied.
struct stripe_delivery {
  stripe_event event;
  std::shared_ptr<const std::string> body;
};

/// stripe_ingest's answer, sent once the delivery's batch committed.
struct ingest_ack {
  bool duplicate = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_ack& x) {
  return f(x.duplicate);
}

/// Apply one stored event (to the billing supervisor, which routes it to the
/// shard of `routing_key`). `doc` is the parsed payload when the sender has it
/// (saves reading it back); null: the shard reads it from the ledger.
struct apply_request {
  std::string event_id;
  std::string routing_key;
  std::shared_ptr<const nlohmann::json> doc;
  bool replay = false;  // apply again even if an outcome is recorded (operator replay)
};

/// Reply to an operator replay.
struct replay_result {
  std::string event_id;
  std::string outcome;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_result& x) {
  return f(x.event_id, x.outcome);
}

/// POST /api/subscriptions/upgrade, validated: to the billing supervisor,
/// which hands it to the upgrade desk.
struct upgrade_request {
  std::string user_id;  // Clerk user id
  std::string plan;     // a catalog plan with a price
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upgrade_request& x) {
  return f(x.user_id, x.plan);
}

/// The upgrade's 200 body (`{"action":"checkout",…}` or `{"action":"updated",…}`).
struct upgrade_reply {
  std::string body;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upgrade_reply& x) {
  return f(x.body);
}

}  // namespace trainia::billing

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::billing::stripe_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::billing::apply_request)
