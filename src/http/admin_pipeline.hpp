#pragma once

#include "http/pipeline.hpp"
#include "http/router.hpp"

namespace trainia::http {

/// The operator listener (ADMIN_PORT, loopback by default): health, readiness,
/// metrics, the actor tree and operator actions. No CORS, no user auth; never
/// exposed on the public port.
class admin_pipeline final : public pipeline {
 public:
  admin_pipeline(app_context& app, router routes) : app_(app), routes_(std::move(routes)) {}
  void handle(const context_ptr& ctx) override;
  void decorate(const request_context& ctx, response& res) const override;
  const char* name() const override { return "admin"; }

 private:
  app_context& app_;
  router routes_;
};

}  // namespace trainia::http
