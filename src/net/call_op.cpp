#include "net/call_op.hpp"

#include "observability/log.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>

namespace trainia::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

bool token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
  }
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), token_char); }

bool safe_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

outbound_response failure(std::string error, bool timed_out = false) {
  outbound_response r;
  r.error = std::move(error);
  r.timed_out = timed_out;
  return r;
}

}  // namespace

call_op::call_op(client_core& core, outbound_request req, retry_options retry, done_fn done,
                 std::shared_ptr<detail::call_control> ctl)
  : core_(core),
    strand_(asio::make_strand(core.ioc)),
    ctl_(std::move(ctl)),
    connect_timeout_(req.connect_timeout),
    timeout_(req.timeout),
    retry_(std::move(retry)),
    done_(std::move(done)),
    timer_(strand_) {
  started_ = clock::now();
  url_ = parse_url(req.url, setup_error_);
  if (!url_) return;
  if (!is_token(req.method)) {
    setup_error_ = "invalid request: bad method";
    return;
  }
  req_.version(11);
  req_.method_string(req.method);
  req_.target(url_->target);
  head_ = req_.method() == http::verb::head;
  bool has_host = false, has_agent = false;
  for (auto& [name, value] : req.headers) {
    if (!is_token(name) || !safe_value(value)) {
      setup_error_ = "invalid request: bad header name or value";
      return;
    }
    // Framing is ours: a caller's Content-Length or Transfer-Encoding could
    // contradict the body actually sent.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    has_host = has_host || iequals(name, "host");
    has_agent = has_agent || iequals(name, "user-agent");
    req_.insert(name, value);
  }
  if (!has_host) req_.set(http::field::host, url_->host_header);
  if (!has_agent) req_.set(http::field::user_agent, "trainia/" TRAINIA_VERSION);
  req_.body() = std::move(req.body);
  req_.prepare_payload();
}

void call_op::start() {
  asio::post(strand_, [self = shared_from_this()] { self->begin_attempt(); });
}

void call_op::cancel() {
  asio::post(strand_, [self = shared_from_this()] { self->on_cancel(); });
}

void call_op::on_cancel() {
  if (phase_ == phase::finished) return;
  outbound_response r = failure("cancelled");
  r.cancelled = true;
  finish(std::move(r));
}

std::string call_op::where() const { return url_->host + ":" + std::to_string(url_->port); }

void call_op::begin_attempt() {
  if (phase_ == phase::finished) return;
  if (!url_ || !setup_error_.empty()) return finish(failure(setup_error_));
  if (url_->tls && !core_.tls_setup_error.empty()) return finish(failure(core_.tls_setup_error));
  auto now = clock::now();
  if (retry_.deadline && now >= *retry_.deadline) {
    if (last_) return finish(std::move(*last_));
    return finish(failure("deadline passed before the first attempt", true));
  }
  ++attempts_;
  stale_retry_used_ = false;
  attempt_deadline_ = now + timeout_;
  attempt_cut_by_deadline_ = retry_.deadline && *retry_.deadline < attempt_deadline_;
  if (attempt_cut_by_deadline_) attempt_deadline_ = *retry_.deadline;

  if (auto c = core_.pool.checkout(url_->origin)) {
    core_.reused.fetch_add(1, std::memory_order_relaxed);
    conn_ = std::move(c);
    reused_ = true;
    arm_timer(attempt_deadline_, attempt_cut_by_deadline_ ? timer_kind::deadline : timer_kind::attempt);
    return send_request();
  }
  open_connection();
}

void call_op::open_connection() {
  reused_ = false;
  conn_ = std::make_shared<connection>(core_.ioc, url_->tls ? &core_.tls_ctx : nullptr, url_->origin);
  auto connect_deadline = clock::now() + connect_timeout_;
  if (connect_deadline < attempt_deadline_)
    arm_timer(connect_deadline, timer_kind::connect);
  else
    arm_timer(attempt_deadline_, attempt_cut_by_deadline_ ? timer_kind::deadline : timer_kind::attempt);

  if (url_->host_is_ip) {
    phase_ = phase::connecting;
    return connect({tcp::endpoint(asio::ip::make_address(url_->host), url_->port)});
  }
  phase_ = phase::resolving;
  // A fresh resolver each time: destroying the previous one abandons its lookup.
  resolver_.emplace(core_.ioc.get_executor());
  resolver_->async_resolve(
    url_->host, std::to_string(url_->port),
    asio::bind_executor(strand_, [self = shared_from_this(), gen = io_gen_](const error_code& ec,
                                                                            tcp::resolver::results_type results) {
      self->on_resolved(gen, ec, results);
    }));
}

void call_op::on_resolved(uint64_t gen, const error_code& ec, const tcp::resolver::results_type& results) {
  if (gen != io_gen_ || phase_ != phase::resolving) return;
  if (ec) return attempt_failed("could not resolve " + url_->host + ": " + ec.message(), false);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& e : results) endpoints.push_back(e.endpoint());
  if (endpoints.empty()) return attempt_failed("could not resolve " + url_->host + ": no addresses", false);
  phase_ = phase::connecting;
  connect(endpoints);
}

void call_op::connect(const std::vector<tcp::endpoint>& endpoints) {
  conn_->lowest().async_connect(
    endpoints, asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen = io_gen_](
                                              const error_code& ec, const tcp::endpoint&) {
      self->on_connected(gen, ec);
    }));
}

void call_op::on_connected(uint64_t gen, const error_code& ec) {
  if (gen != io_gen_ || phase_ != phase::connecting) return;
  if (ec) return attempt_failed("could not connect to " + where() + ": " + ec.message(), false);
  core_.opened.fetch_add(1, std::memory_order_relaxed);
  error_code ignored;
  conn_->socket().set_option(tcp::no_delay(true), ignored);
  if (!url_->tls) return connected();
  phase_ = phase::handshaking;
  conn_->set_tls_host(url_->host, url_->host_is_ip);
  conn_->tls->async_handshake(
    asio::ssl::stream_base::client,
    asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen = io_gen_](const error_code& ec) {
      self->on_handshake(gen, ec);
    }));
}

void call_op::on_handshake(uint64_t gen, const error_code& ec) {
  if (gen != io_gen_ || phase_ != phase::handshaking) return;
  if (ec) {
    std::string why = conn_->verify_error.empty() ? ec.message() : conn_->verify_error;
    return attempt_failed("TLS handshake with " + where() + " failed: " + why, false);
  }
  connected();
}

void call_op::connected() {
  arm_timer(attempt_deadline_, attempt_cut_by_deadline_ ? timer_kind::deadline : timer_kind::attempt);
  send_request();
}

void call_op::send_request() {
  phase_ = phase::writing;
  conn_->prepare_exchange(head_);
  conn_->with_stream([&](auto& stream) {
    http::async_write(stream, req_,
                      asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen = io_gen_](
                                                     const error_code& ec, std::size_t) { self->on_written(gen, ec); }));
  });
}

void call_op::on_written(uint64_t gen, const error_code& ec) {
  if (gen != io_gen_ || phase_ != phase::writing) return;
  if (ec) return io_failed("sending the request", ec);
  read_response();
}

void call_op::read_response() {
  phase_ = phase::reading;
  conn_->with_stream([&](auto& stream) {
    http::async_read(stream, conn_->buffer, *conn_->parser,
                     asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen = io_gen_](
                                                    const error_code& ec, std::size_t) { self->on_read(gen, ec); }));
  });
}

void call_op::on_read(uint64_t gen, const error_code& ec) {
  if (gen != io_gen_ || phase_ != phase::reading) return;
  if (ec == http::error::body_limit)
    return attempt_failed("the response body from " + where() + " exceeds the 16 MiB limit", false);
  if (ec == http::error::header_limit)
    return attempt_failed("the response header from " + where() + " exceeds the 64 KiB limit", false);
  if (ec) return io_failed("reading the response", ec);

  auto& msg = conn_->parser->get();
  int status = static_cast<int>(msg.result_int());
  if (status >= 100 && status < 200 && status != 101) {  // interim (e.g. 103): the real answer follows
    conn_->prepare_exchange(head_);
    return read_response();
  }
  outbound_response r;
  r.status = status;
  r.headers.reserve(std::distance(msg.begin(), msg.end()));
  for (const auto& f : msg) r.headers.emplace_back(lowered(f.name_string()), std::string(f.value()));
  r.body = std::move(msg.body());
  bool keep = msg.keep_alive() && !conn_->parser->need_eof() && status != 101;
  conn_->parser.reset();
  cancel_timer();
  if (keep) {
    ++io_gen_;
    core_.pool.checkin(std::move(conn_));
    conn_.reset();
  } else {
    drop_connection();
  }
  attempt_done(std::move(r));
}

void call_op::io_failed(const char* while_doing, const error_code& ec) {
  bool nothing_received = !conn_->parser || !conn_->parser->got_some();
  // A pooled connection the server dropped just as we picked it: the request
  // never reached anyone who answered, so one fresh connection is the same attempt.
  if (reused_ && !stale_retry_used_ && nothing_received) {
    stale_retry_used_ = true;
    drop_connection();
    return open_connection();
  }
  attempt_failed("connection to " + where() + " failed while " + while_doing + ": " + ec.message(), false);
}

void call_op::attempt_failed(std::string error, bool timed_out) {
  abandon_io();
  attempt_done(failure(std::move(error), timed_out));
}

void call_op::attempt_done(outbound_response r) {
  cancel_timer();
  auto now = clock::now();
  r.attempts = attempts_;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
  if (attempts_ < retry_.max_attempts && retry_.decide) {
    std::optional<std::chrono::milliseconds> wait;
    try {
      wait = retry_.decide(r, attempts_);
    } catch (const std::exception& e) {
      log::error("outbound retry decider threw", {{"what", e.what()}});
    } catch (...) {
      log::error("outbound retry decider threw");
    }
    if (wait) {
      auto until = now + std::max(*wait, std::chrono::milliseconds(0));
      if (!retry_.deadline || until < *retry_.deadline) {
        last_ = std::move(r);
        phase_ = phase::backoff;
        return arm_timer(until, timer_kind::backoff);
      }
    }
  }
  finish(std::move(r));
}

void call_op::finish(outbound_response r) {
  if (phase_ == phase::finished) return;
  phase_ = phase::finished;
  abandon_io();
  last_.reset();
  r.attempts = attempts_;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_);
  if (log::enabled(log_level::debug))
    log::debug("outbound call finished", {{"method", std::string_view(req_.method_string())},
                                          {"host", url_ ? std::string_view(url_->host) : std::string_view()},
                                          {"status", r.status},
                                          {"attempts", r.attempts},
                                          {"elapsed_ms", static_cast<int64_t>(r.elapsed.count())},
                                          {"timed_out", r.timed_out},
                                          {"cancelled", r.cancelled},
                                          {"error", std::string_view(r.error)}});
  auto done = std::move(done_);
  done_ = nullptr;
  retry_.decide = nullptr;  // release whatever the caller's lambdas captured
  if (done) {
    try {
      done(std::move(r));
    } catch (const std::exception& e) {
      log::error("outbound done callback threw", {{"what", e.what()}});
    } catch (...) {
      log::error("outbound done callback threw");
    }
  }
  ctl_->finished.store(true, std::memory_order_release);
  core_.call_finished(shard, live_it);
}

void call_op::arm_timer(clock::time_point at, timer_kind kind) {
  timer_kind_ = kind;
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this(), gen = ++timer_gen_](const error_code& ec) { self->on_timer(gen, ec); });
}

void call_op::cancel_timer() {
  ++timer_gen_;
  timer_.cancel();
}

void call_op::on_timer(uint64_t gen, const error_code& ec) {
  if (ec || gen != timer_gen_ || phase_ == phase::finished) return;
  switch (timer_kind_) {
    case timer_kind::backoff:
      return begin_attempt();
    case timer_kind::connect:
      return attempt_failed(
        "connecting to " + where() + " timed out after " + std::to_string(connect_timeout_.count()) + " ms", true);
    case timer_kind::attempt:
      return attempt_failed(
        "request to " + where() + " timed out after " + std::to_string(timeout_.count()) + " ms", true);
    case timer_kind::deadline:
      return attempt_failed("deadline reached during the request to " + where(), true);
  }
}

void call_op::drop_connection() {
  ++io_gen_;
  if (conn_) {
    conn_->close();
    conn_.reset();
  }
}

void call_op::abandon_io() {
  ++io_gen_;
  if (resolver_) resolver_->cancel();
  drop_connection();
  cancel_timer();
}

}  // namespace trainia::net
