// Fuzz target "http": raw bytes from a client socket through the real Beast
// request parser with the server's limits (http::configure_parser, as
// src/http/connection.cpp), then what happens before a handler is chosen:
// request id, path and query, routing of both listeners (404/405/OPTIONS/CORS
// through the real api_pipeline), Content-Type check and the error body.
//
// Input: byte 0 picks the size of the reads the socket delivers (1..64 bytes,
// or everything at once when ≥ 0x80); the rest is the byte stream.

#include "fuzz/fuzz.hpp"

#include "actors/services.hpp"
#include "app/routes.hpp"
#include "core/error.hpp"
#include "http/api_pipeline.hpp"
#include "http/app_context.hpp"
#include "http/error_response.hpp"
#include "http/parser_setup.hpp"
#include "http/request_context.hpp"
#include "http/request_id.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"

#include <memory>
#include <string>

namespace trainia::fuzz {

namespace {

using namespace trainia::http;

struct world {
  obs::registry metrics;
  services svc{default_config(), metrics, "fuzz"};
  app_context app{svc, default_config()};
  router admin = admin_routes(metrics);
  router api_table = api_routes(metrics);  // the same table the pipeline holds
  api_pipeline api{app, api_routes(metrics)};
  world() { log::set_level(log_level::error); }
};

world& the_world() {
  static world w;
  return w;
}

// What src/http/connection.cpp answers for a read error before any handler.
errc refusal_for(beast::error_code ec) {
  if (ec == bhttp::error::header_limit) return errc::headers_too_large;
  if (ec == bhttp::error::body_limit) return errc::payload_too_large;
  return errc::bad_request;
}

}  // namespace

void http_one(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const auto& cfg = default_config();
  auto& w = the_world();
  size_t chunk = data[0] >= 0x80 ? size : 1 + data[0] % 64;
  std::string_view input = as_text(data + 1, size - 1);

  request_parser p;
  configure_parser(p, cfg);
  std::string buf;  // what the socket delivered and the parser did not consume yet
  size_t pos = 0;
  beast::error_code ec;
  bool header_phase = true;
  for (;;) {
    if (!buf.empty()) {
      size_t n = p.put(asio::buffer(buf), ec);
      FUZZ_CHECK(n <= buf.size());
      buf.erase(0, n);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) break;
      if (p.is_done()) break;
      if (header_phase && p.is_header_done()) {
        header_phase = false;
        // As http_connection::on_header: a Transfer-Encoding not ending in chunked is refused.
        const auto& h = p.get();
        if (h.find(bhttp::field::transfer_encoding) != h.end() && !p.chunked()) {
          FUZZ_CHECK(!error_body(errc::bad_request, "unsupported Transfer-Encoding").empty());
          return;
        }
        p.eager(true);  // async_read reads the body eagerly
        continue;
      }
      if (n > 0) continue;
    }
    if (pos >= input.size()) {
      if (p.got_some()) p.put_eof(ec);
      else ec = bhttp::error::end_of_stream;
      break;
    }
    auto take = std::min(chunk, input.size() - pos);
    buf.append(input.substr(pos, take));
    pos += take;
  }

  if (ec || !p.is_done()) {
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return;  // connection closes
    auto body = error_body(refusal_for(ec ? ec : bhttp::error::partial_message), "malformed HTTP request");
    FUZZ_CHECK(!body.empty());
    return;
  }

  auto req = p.release();
  FUZZ_CHECK(req.body().size() <= static_cast<size_t>(cfg.http_max_body_bytes));
  auto id_header = req.find("x-request-id");
  std::string id = request_id_for(id_header == req.end() ? std::string_view()
                                                          : std::string_view(id_header->value().data(),
                                                                             id_header->value().size()));
  FUZZ_CHECK(!id.empty() && id.size() <= 128);
  auto ctx = std::make_shared<request_context>(w.app, std::move(req), std::move(id), std::weak_ptr<http_connection>{},
                                               caf::actor{});
  auto path = ctx->path();
  (void)ctx->query("limit");
  (void)ctx->query("cursor");
  (void)ctx->query("status");
  (void)is_json_media_type(ctx->header("content-type"));

  // The operator listener's routing table.
  auto am = w.admin.match(ctx->req.method(), path);
  if (am.found) FUZZ_CHECK(am.path_known && am.params.size() <= path.size());

  // The public listener up to the handler choice: run the real pipeline when
  // it answers by itself (preflight, 404, 405); stop where a handler would run.
  auto method = ctx->req.method();
  auto m = w.api_table.match(method, path);
  if (method == verb::options || !m.found) {
    w.api.handle(ctx);  // answers through ctx->respond/fail; no connection to deliver to
    FUZZ_CHECK(ctx->answered());
  } else {
    FUZZ_CHECK(m.found->method == method && m.path_known);
    for (const auto& v : m.params) FUZZ_CHECK(!v.empty() && v.find('/') == std::string::npos);
  }
  response res{status::ok, ctx->req.version()};
  w.api.decorate(*ctx, res);
}

}  // namespace trainia::fuzz

TRAINIA_FUZZ_ENTRY(trainia::fuzz::http_one)
