#include "http/admin_pipeline.hpp"

#include "core/error.hpp"
#include "http/request_context.hpp"

namespace trainia::http {

void admin_pipeline::handle(const context_ptr& ctx) {
  auto m = routes_.match(ctx->req.method(), ctx->path());
  if (!m.found) {
    if (m.path_known) return ctx->fail(fail(errc::method_not_allowed, "method not allowed"), {{"allow", m.allow}});
    return ctx->fail(fail(errc::not_found, "no such resource"));
  }
  ctx->matched = m.found;
  ctx->params = std::move(m.params);
  m.found->handler(ctx);
}

void admin_pipeline::decorate(const request_context&, response& res) const {
  if (res.find(bhttp::field::cache_control) == res.end()) res.set(bhttp::field::cache_control, "no-store");
}

}  // namespace trainia::http
