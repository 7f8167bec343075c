#pragma once

#include "auth/token_cache.hpp"
#include "config/config.hpp"

#include <memory>
#include <string>

namespace trainia {

/// Builds the session-token verifier the configuration asks for: from
/// CLERK_JWT_KEY (PEM) or CLERK_JWKS_FILE in clerk mode, or from the dev
/// signing key (created under .data/ if absent) in dev mode. On failure
/// returns null and sets `err` to one line naming the setting.
std::unique_ptr<auth::caching_verifier> make_verifier(const config& cfg, std::string& err);

}  // namespace trainia
