#pragma once

#include <caf/error.hpp>

#include <string>
#include <string_view>

namespace trainia::db {

/// Turns a failed statement into an error value, classifying its SQLSTATE once
/// for the whole server: 23505 → conflict, connection and resource faults →
/// service_unavailable, the rest → internal. The SQL text and server message go
/// into the internal note (logs), never into the public message.
caf::error classify(std::string_view sqlstate, std::string_view statement, std::string_view message);

/// The connection is unusable or the server is unreachable (→ 503, reconnect).
caf::error connection_lost(std::string_view what);

/// True for SQLSTATE classes after which the connection should be dropped.
bool is_connection_fault(std::string_view sqlstate);

}  // namespace trainia::db
