#pragma once

#include "http/router.hpp"

#include <optional>
#include <string_view>

/// HTTP handlers of the AI endpoints (api.md `POST /api/ai/run`,
/// `GET /api/ai/tasks/{id}`, `GET /api/ai/tasks`, `POST /api/ai/tasks/{id}/cancel`).
/// Every database access goes through the caller's session actor, so RLS and
/// the per-user rate limit apply.
namespace trainia::ai {

/// Validates the body, `?wait` and `Idempotency-Key`, submits through the
/// session (plan_write_atom: quota, in-flight limit and queue are checked in
/// the submit transaction), then answers 202 `{"task_id","status"}`, or with
/// `?wait=N` waits in the dispatcher (no polling) and answers 200 with the
/// finished task if it ends within N seconds.
void http_run(const http::context_ptr& ctx);
void http_get_task(const http::context_ptr& ctx);
void http_list_tasks(const http::context_ptr& ctx);
void http_cancel_task(const http::context_ptr& ctx);

/// True for a canonical UUID text (8-4-4-4-12 hex digits).
bool is_uuid(std::string_view s);

/// Parses a non-negative decimal integer of at most 9 digits; nullopt otherwise.
std::optional<int> parse_count(std::string_view s);

}  // namespace trainia::ai
