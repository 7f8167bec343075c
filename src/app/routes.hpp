#pragma once

#include "http/router.hpp"

namespace trainia {

/// The public API's routes (api.md §3).
http::router api_routes(obs::registry& m);

/// The operator listener's routes.
http::router admin_routes(obs::registry& m);

}  // namespace trainia
