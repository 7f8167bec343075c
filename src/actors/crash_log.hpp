#pragma once

#include <caf/error.hpp>

#include <exception>
#include <functional>
#include <string>

namespace trainia {

/// An exception handler for actors: logs the exception as a JSON line (CAF's
/// default prints plain text to stderr) and still terminates the actor with
/// `runtime_error`, so its supervisor sees a failure and restarts it.
std::function<caf::error(std::exception_ptr&)> crash_logger(std::string kind, std::string name);

}  // namespace trainia
