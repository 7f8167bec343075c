#pragma once

#include "actors/services.hpp"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace trainia::auth {
class caching_verifier;
}

namespace trainia::http {

/// What every HTTP handler may use. Owned by the server; outlives every
/// connection.
struct app_context {
  services& svc;
  const config& cfg;
  auth::caching_verifier* verifier = nullptr;  // null on the operator listener
  std::atomic<bool> stopping{false};            // SIGTERM received: finish and close
  int latest_migration = 0;                      // for /readyz
};

}  // namespace trainia::http
