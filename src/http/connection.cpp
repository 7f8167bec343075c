#include "http/connection.hpp"

#include "http/actor_bridge.hpp"
#include "http/error_response.hpp"
#include "http/parser_setup.hpp"
#include "http/request_context.hpp"
#include "http/request_id.hpp"
#include "observability/log.hpp"

namespace trainia::http {

http_connection::http_connection(tcp_socket&& socket, listener_shared& shared)
  : socket_(std::move(socket)), shared_(shared), timer_(socket_.get_executor()) {
  shared_.count.fetch_add(1, std::memory_order_relaxed);
  if (shared_.open_connections) shared_.open_connections->add(1);
}

http_connection::~http_connection() {
  if (live_entry_) {
    std::lock_guard<std::mutex> g(shared_.mx);
    shared_.live.erase(*live_entry_);
  }
  shared_.count.fetch_sub(1, std::memory_order_relaxed);
  if (shared_.open_connections) shared_.open_connections->add(-1);
}

void http_connection::start() {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

// One timer per connection bounds every phase (idle, header, body, the
// request inside the server, the write), and a phase change touches it only
// when the new deadline comes before the timer: the timer never sleeps longer
// than the shortest configured phase timeout, so each new phase's deadline
// (now + a timeout at least that long) is at or after it. When it fires
// before the deadline it sleeps again; busy connections pay a wake-up per
// that timeout instead of four timer set-ups and cancellations per request.
void http_connection::set_deadline(std::chrono::milliseconds after) {
  deadline_ = clock::now() + after;
  if (!timer_armed_ || timer_.expiry() > deadline_) arm_timer();
}

void http_connection::arm_timer() {
  auto gen = ++generation_;
  timer_armed_ = true;
  timer_.expires_at(std::min(deadline_, clock::now() + max_timer_sleep()));
  timer_.async_wait([self = shared_from_this(), gen](beast::error_code ec) {
    if (ec || gen != self->generation_) return;
    self->timer_armed_ = false;
    if (self->closed_) return;
    if (clock::now() < self->deadline_) return self->arm_timer();
    self->on_deadline();
  });
}

std::chrono::milliseconds http_connection::max_timer_sleep() const {
  const auto& cfg = shared_.app.cfg;
  return std::chrono::milliseconds(std::max(1, std::min({cfg.http_header_timeout_ms, cfg.http_body_timeout_ms,
                                                          cfg.http_idle_timeout_ms, cfg.http_request_timeout_ms})));
}

void http_connection::on_deadline() {
  if (current_) {
    // The request outlived its deadline inside the server.
    current_->fail(fail_unavailable("the request timed out inside the server", 1, "request deadline"));
  } else {
    // Idle too long, or a header, body or write that did not finish in time:
    // closing the socket ends the pending read or write (operation_aborted).
    close();
  }
}

void http_connection::extend_deadline(std::chrono::milliseconds total) {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this(), total] {
    if (self->current_) self->set_deadline(total);
  });
}

void http_connection::wait_for_request() {
  idle_ = true;
  if (closed_) return;
  if (shared_.app.stopping.load(std::memory_order_acquire)) return close();
  if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
  set_deadline(std::chrono::milliseconds(shared_.app.cfg.http_idle_timeout_ms));
  // A read, not a wait for readability: Asio tries a read first and, when
  // nothing is there yet, parks it on the socket's existing registration; a
  // wait (async_wait) re-registers the socket with epoll_ctl every time, one
  // system call per request on every keep-alive connection.
  auto room = buffer_.prepare(beast::read_size(buffer_, idle_read_size));
  socket_.async_read_some(room, [self = shared_from_this()](beast::error_code ec, size_t n) {
    if (ec || self->closed_) return self->close();
    self->buffer_.commit(n);
    self->read_header();
  });
}

void http_connection::read_header() {
  idle_ = false;
  const auto& cfg = shared_.app.cfg;
  parser_.emplace();
  configure_parser(*parser_, cfg);
  set_deadline(std::chrono::milliseconds(cfg.http_header_timeout_ms));
  bhttp::async_read_header(socket_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void http_connection::on_header(beast::error_code ec) {
  if (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::eof ||
      ec == asio::error::operation_aborted)
    return close();
  if (ec == bhttp::error::header_limit) return refuse(errc::headers_too_large, "request headers too large");
  if (ec == bhttp::error::body_limit) return refuse(errc::payload_too_large, "request body too large");
  if (ec) return refuse(errc::bad_request, "malformed HTTP request");
  const auto& req = parser_->get();
  // RFC 9112 §6.3: a request whose Transfer-Encoding does not end in chunked
  // has no reliable length; Beast would read it as body-less and parse the
  // body as the next request (a smuggling vector). Refuse and close.
  if (req.find(bhttp::field::transfer_encoding) != req.end() && !parser_->chunked())
    return refuse(errc::bad_request, "unsupported Transfer-Encoding");
  if (parser_->is_done()) return dispatch();
  if (auto it = req.find(bhttp::field::expect); it != req.end()) {
    if (!beast::iequals(it->value(), "100-continue")) return refuse(errc::bad_request, "unsupported Expect header");
    auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(status::continue_, req.version());
    bhttp::async_write(socket_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
      if (ec || self->closed_) return self->close();
      self->set_deadline(std::chrono::milliseconds(self->shared_.app.cfg.http_body_timeout_ms));
      bhttp::async_read(self->socket_, self->buffer_, *self->parser_,
                        [self](beast::error_code ec, size_t) { self->on_body(ec); });
    });
    return;
  }
  set_deadline(std::chrono::milliseconds(shared_.app.cfg.http_body_timeout_ms));
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
}

void http_connection::on_body(beast::error_code ec) {
  if (closed_) return;
  if (ec == bhttp::error::body_limit) return refuse(errc::payload_too_large, "request body too large");
  if (ec == asio::error::operation_aborted || ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == bhttp::error::partial_message)
    return close();
  if (ec) return refuse(errc::bad_request, "malformed HTTP request body");
  dispatch();
}

void http_connection::dispatch() {
  if (!bridge_) bridge_ = spawn_bridge(*shared_.app.svc.system);
  auto req = parser_->release();
  parser_.reset();
  std::string id = request_id_for([&] {
    auto it = req.find("x-request-id");
    return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
  }());
  current_ = std::make_shared<request_context>(shared_.app, std::move(req), std::move(id), weak_from_this(), bridge_);
  set_deadline(std::chrono::milliseconds(shared_.app.cfg.http_request_timeout_ms));
  shared_.pipe.handle(current_);
}

void http_connection::deliver(std::shared_ptr<request_context> ctx, response&& res) {
  asio::dispatch(socket_.get_executor(),
                 [self = shared_from_this(), ctx = std::move(ctx), res = std::move(res)]() mutable {
                   if (ctx != self->current_ || self->closed_) return;
                   self->finish(std::move(res));
                 });
}

void http_connection::finish(response&& res) {
  auto ctx = std::move(current_);
  current_.reset();
  res.set("x-request-id", ctx->request_id);
  shared_.pipe.decorate(*ctx, res);
  bool close_after = !ctx->req.keep_alive() || shared_.app.stopping.load(std::memory_order_acquire);
  res.keep_alive(!close_after);
  res.prepare_payload();

  auto elapsed = std::chrono::duration<double>(request_context::clock::now() - ctx->started).count();
  auto code = res.result_int();
  if (ctx->matched) {
    ctx->matched->stats->record(code, elapsed);
  } else {
    auto& m = shared_.app.svc.metrics;
    // Only the verbs Beast knows (a bounded set) become label values: a
    // made-up method must not create a new series per request.
    auto method = ctx->req.method() == bhttp::verb::unknown ? std::string("OTHER") : std::string(ctx->req.method_string());
    m.http_requests.with({{"route", "unmatched"}, {"method", method}, {"status", std::to_string(code)}}).inc();
    m.http_duration.with({{"route", "unmatched"}}).observe(elapsed);
  }
  auto method_name = ctx->req.method_string();
  log::access("request", {{"request_id", ctx->request_id},
                          {"listener", shared_.pipe.name()},
                          {"method", std::string_view(method_name.data(), method_name.size())},
                          {"route", ctx->route_label()},
                          {"status", static_cast<int>(code)},
                          {"duration_ms", elapsed * 1000.0},
                          ctx->user ? log::field("user_id", ctx->user->user_id) : log::field("user_id", nullptr)});

  out_ = std::make_shared<response>(std::move(res));
  set_deadline(std::chrono::milliseconds(shared_.app.cfg.http_body_timeout_ms));
  bhttp::async_write(socket_, *out_, [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
    self->on_write(ec, close_after);
  });
}

void http_connection::on_write(beast::error_code ec, bool close_after) {
  out_.reset();
  if (ec || close_after) return close();
  wait_for_request();
}

void http_connection::refuse(errc code, std::string message) {
  // A protocol error: answer once (no request id from a header we could not
  // trust), then close, since the byte stream can no longer be framed.
  auto version = parser_ ? parser_->get().version() : 11;
  auto res = std::make_shared<response>(status_of(code), version == 10 ? 10 : 11);
  res->set(bhttp::field::content_type, "application/json");
  res->set("x-request-id", request_id_for({}));
  res->body() = error_body(code, message);
  res->keep_alive(false);
  res->prepare_payload();
  shared_.app.svc.metrics.http_requests
    .with({{"route", "unmatched"}, {"method", "unknown"}, {"status", std::to_string(res->result_int())}})
    .inc();
  log::info("request refused", {{"listener", shared_.pipe.name()},
                                {"status", static_cast<int>(res->result_int())},
                                {"code", code_name(code)}});
  parser_.reset();
  set_deadline(std::chrono::seconds(5));
  bhttp::async_write(socket_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
    if (ec) return self->close();
    self->linger_close();
  });
}

void http_connection::linger_close() {
  // The peer may still be sending what we refused (a body over the limit, a
  // flood of headers). Closing now, with its bytes unread, makes the kernel
  // answer with a reset, and a client that reads only after it has written
  // never sees our answer. So, as nginx's lingering close: stop sending, read
  // and drop what still comes for a short while, then close.
  if (closed_) return;
  beast::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) return close();
  set_deadline(std::chrono::seconds(2));
  buffer_.clear();
  linger_read(0);
}

void http_connection::linger_read(size_t drained) {
  constexpr size_t chunk = 16 * 1024;
  constexpr size_t limit = 4 * 1024 * 1024;
  socket_.async_read_some(buffer_.prepare(chunk), [self = shared_from_this(), drained](beast::error_code ec, size_t n) {
    if (ec || self->closed_ || drained + n > limit) return self->close();
    self->linger_read(drained + n);  // nothing is committed: the bytes are dropped
  });
}

void http_connection::close() {
  if (closed_) return;
  closed_ = true;
  ++generation_;
  timer_.cancel();
  beast::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  socket_.close(ec);
  bridge_ = nullptr;
}

void http_connection::stop() {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    if (self->idle_ && !self->current_) self->close();
    // Otherwise finish() sees `stopping` and closes after the response.
  });
}

}  // namespace trainia::http
