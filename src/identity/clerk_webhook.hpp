#pragma once

#include "http/router.hpp"

namespace trainia::identity {

/// The handler of POST /api/webhooks/clerk (api.md §3; unauthenticated, JSON
/// body). Verifies the Svix signature over the exact raw body with
/// CLERK_WEBHOOK_SECRET (unset → 503 `service_unavailable`; bad → 400
/// `invalid_signature`), parses the event (400 `invalid_event`), then runs
/// the delivery as one service-role transaction on the service pool and
/// answers 200 `{"received":true}` (`"duplicate":true` for a replayed
/// svix-id) only after it committed; a database that cannot be reached →
/// 503 and nothing recorded. After a change, this process's session actor
/// of that user drops its cached profile and plan at once; other processes
/// learn it from the NOTIFY that the user_profiles trigger sends on commit.
/// Runs on an Asio thread up to the database call, then on the connection's
/// bridge actor; never blocks.
http::handler_fn clerk_webhook_handler();

}  // namespace trainia::identity
