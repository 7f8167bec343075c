#pragma once

#include "http/app_context.hpp"
#include "http/router.hpp"

#include <string>

namespace trainia::http {

/// What a listener does with each complete request: the public API pipeline
/// (CORS, routing, authentication, handlers) or the operator one.
class pipeline {
 public:
  virtual ~pipeline() = default;
  /// Handles one request; must eventually answer `ctx` (from any thread).
  virtual void handle(const context_ptr& ctx) = 0;
  /// Adds headers every response of this listener carries (CORS, caching).
  virtual void decorate(const request_context& ctx, response& res) const = 0;
  /// "public" or "admin": metric and log label.
  virtual const char* name() const = 0;
};

}  // namespace trainia::http
