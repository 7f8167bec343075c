#pragma once

#include "config/config.hpp"

namespace trainia {

/// `trainia serve`: starts the actor system and both listeners, then waits for
/// SIGTERM/SIGINT and shuts down gracefully (stop accepting, let in-flight
/// requests finish within http.shutdown_grace_ms, stop the actor tree, close
/// the pools). Returns the process exit code.
int serve(const config& cfg);

}  // namespace trainia
