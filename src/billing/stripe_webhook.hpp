#pragma once

#include "http/router.hpp"

namespace trainia::billing {

/// POST /api/webhooks/stripe (api.md §3; no auth, JSON body). Verifies the
/// Stripe-Signature over the exact raw body against STRIPE_WEBHOOK_SECRET (all
/// of them, during rotation; unset → 503 `service_unavailable`; bad → 400
/// `invalid_signature`), parses the event (400 `invalid_event`), and asks
/// `stripe_ingest` to store it; answers 200 `{"received":true}` (with
/// `"duplicate":true` for an event id seen before) only after the ledger row
/// COMMITTED. A database that cannot be reached → 503 and nothing recorded.
/// Applying the event happens right after, in the billing shards. Runs on an
/// Asio thread up to the actor call (verification is a few µs), never blocks.
http::handler_fn stripe_webhook_handler();

/// POST /admin/stripe/events/{event_id}/replay (operator listener): applies the
/// stored event again through its shard (idempotent); 200
/// `{"event_id","outcome"}`, unknown id → 404 `not_found`.
http::handler_fn stripe_replay_handler();

}  // namespace trainia::billing
