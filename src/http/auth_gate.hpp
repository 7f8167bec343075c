#pragma once

#include "http/request_context.hpp"

#include <caf/error.hpp>

#include <string_view>

namespace trainia::http {

/// The session token of a request: `Authorization: Bearer <jwt>`, or failing
/// that the `__session` cookie. Sets `via_cookie` accordingly.
std::string_view session_token(const request_context& ctx, bool& via_cookie);

/// Authenticates `ctx` with the server's verifier (cached until the token
/// expires): sets `ctx.user`, or returns `unauthorized` / `forbidden`.
caf::error authenticate(request_context& ctx);

}  // namespace trainia::http
