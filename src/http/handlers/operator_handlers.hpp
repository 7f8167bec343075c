#pragma once

#include "http/router.hpp"

namespace trainia::http {

/// GET /healthz — 200 while the process runs.
void healthz(const context_ptr& ctx);
/// GET /readyz — 200 only while the database answers and its schema is at
/// this binary's latest migration; else 503.
void readyz(const context_ptr& ctx);
/// GET /metrics — Prometheus text exposition.
void metrics(const context_ptr& ctx);
/// GET /admin/actors — the supervision tree as JSON.
void actors(const context_ptr& ctx);

}  // namespace trainia::http
