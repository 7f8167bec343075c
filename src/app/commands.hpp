#pragma once

#include "config/config.hpp"

#include <string>

namespace trainia {

/// `trainia migrate [up]`: applies pending migrations; prints each file.
int migrate_up_command(const config& cfg);
/// `trainia migrate status`: one line per migration, applied or pending.
int migrate_status_command(const config& cfg);
/// `trainia dev-token USER_ID`: prints a dev-mode session token.
int dev_token_command(const config& cfg, const std::string& user_id);

}  // namespace trainia
