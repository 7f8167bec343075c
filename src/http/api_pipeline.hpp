#pragma once

#include "http/pipeline.hpp"
#include "http/router.hpp"

namespace trainia::http {

/// The public listener: CORS (preflight and headers) for the browser front
/// end, routing (404/405), Clerk authentication, CSRF refusal for cookie-
/// authenticated writes from foreign origins, Content-Type checks, then the
/// route's handler.
class api_pipeline final : public pipeline {
 public:
  api_pipeline(app_context& app, router routes) : app_(app), routes_(std::move(routes)) {}
  void handle(const context_ptr& ctx) override;
  void decorate(const request_context& ctx, response& res) const override;
  const char* name() const override { return "public"; }

 private:
  bool origin_allowed(std::string_view origin) const;

  app_context& app_;
  router routes_;
};

/// True if `content_type` names application/json (parameters ignored).
bool is_json_media_type(std::string_view content_type);

}  // namespace trainia::http
