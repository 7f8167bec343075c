#pragma once

#include "http/router.hpp"

namespace trainia::http {

/// GET /api/users/profile — the caller's profile from their session actor
/// (created on first sight); ETag, and 304 for a matching If-None-Match.
void get_profile(const context_ptr& ctx);

/// PUT /api/users/profile — validated update applied by the session actor;
/// If-Match that no longer matches → 412.
void put_profile(const context_ptr& ctx);

}  // namespace trainia::http
