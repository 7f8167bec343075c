#pragma once

#include "core/error.hpp"
#include "http/types.hpp"

#include <string>

namespace trainia::http {

/// An error value made ready for the wire. `internal` is for the log line
/// only; `body` never contains it.
struct mapped_error {
  status code = status::internal_server_error;
  errc kind = errc::internal;
  std::string body;
  int retry_after = 0;
  std::string internal;
};

/// The one place where error values become HTTP: status from the contract's
/// code table, body `{"error":{"code","message"[,"details"]}}`. Errors that
/// are not trainia's own (an actor that died, a time-out) become 500/503
/// without revealing anything about the inside.
mapped_error map_error(const caf::error& e);

/// The HTTP status of a contract code.
status status_of(errc code);

/// Builds the JSON error body for a code and public message.
std::string error_body(errc code, std::string_view message);

}  // namespace trainia::http
