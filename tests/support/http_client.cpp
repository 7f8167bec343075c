#include "support/http_client.hpp"

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trainia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t body_limit = 64ull * 1024 * 1024;
constexpr std::uint32_t header_limit = 64 * 1024;

bool ci_equal(std::string_view a, std::string_view b) {
  return !ci_less()(a, b) && !ci_less()(b, a);
}

http_response convert(bhttp::response<bhttp::string_body>&& res) {
  http_response out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    std::string value(f.value());
    auto it = out.headers.find(name);
    if (it == out.headers.end())
      out.headers.emplace(std::move(name), std::move(value));
    else
      it->second += ", " + value;
  }
  out.body = std::move(res.body());
  return out;
}

/// Endpoints for `host` (an address literal, or a name resolved now).
tcp::resolver::results_type resolve(asio::io_context& ioc, const std::string& host, uint16_t port) {
  tcp::resolver r(ioc);
  beast::error_code ec;
  auto eps = r.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec) throw std::runtime_error("cannot resolve " + host + ": " + ec.message());
  return eps;
}

std::string describe(const beast::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return "timed out after " + std::to_string(timeout.count()) + " ms";
  return ec.message();
}

/// Runs one asynchronous operation started by `start(handler)` to completion
/// on `ioc` in the calling thread and returns its error. (tcp_stream applies
/// its timeout to asynchronous operations only.)
template <class Start>
beast::error_code run_op(asio::io_context& ioc, Start&& start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

/// True when a kept-alive socket can no longer carry a clean exchange: the
/// peer closed it, reset it, or sent something unsolicited.
bool looks_stale(tcp::socket& s) {
  pollfd p{s.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

/// Errors that mean "the server had closed the kept-alive connection".
bool is_stale_error(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

}  // namespace

nlohmann::json http_response::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    throw std::runtime_error("response body is not JSON (status " + std::to_string(status) + "): " + body);
  return j;
}

std::string http_response::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::pair<std::string, std::string> bearer(const std::string& token) {
  return {"Authorization", "Bearer " + token};
}

// --- http_client -------------------------------------------------------------

struct http_client::impl {
  std::string host;
  uint16_t port = 0;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::size_t opened = 0;
  bool reused = false;  // the current connection already carried an exchange

  beast::error_code connect(clock_type::time_point deadline) {
    auto eps = resolve(ioc, host, port);
    stream.emplace(ioc);
    stream->expires_at(deadline);
    auto ec = run_op(ioc, [&](auto h) { stream->async_connect(eps, std::move(h)); });
    buffer.clear();
    reused = false;
    if (!ec) ++opened;
    return ec;
  }

  /// One exchange on the open connection. On failure sets `ec` and `retryable`
  /// (a reused connection that failed before any response byte arrived).
  std::optional<http_response> exchange(bhttp::request<bhttp::string_body>& req, clock_type::time_point deadline,
                                        beast::error_code& ec, bool& retryable) {
    stream->expires_at(deadline);
    ec = run_op(ioc, [&](auto h) { bhttp::async_write(*stream, req, std::move(h)); });
    if (ec) {
      retryable = reused && is_stale_error(ec);
      return std::nullopt;
    }
    for (;;) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(body_limit);
      parser.header_limit(header_limit);
      parser.skip(req.method() == bhttp::verb::head);
      ec = run_op(ioc, [&](auto h) { bhttp::async_read(*stream, buffer, parser, std::move(h)); });
      if (ec) {
        retryable = reused && !parser.got_some() && is_stale_error(ec);
        return std::nullopt;
      }
      auto res = parser.release();
      int code = static_cast<int>(res.result_int());
      if (code >= 100 && code < 200 && code != 101) continue;  // interim response: read the final one
      bool keep = res.keep_alive();
      auto out = convert(std::move(res));
      reused = true;
      if (!keep) drop();
      return out;
    }
  }

  void drop() {
    if (!stream) return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->socket().close(ignored);
    stream.reset();
    buffer.clear();
  }
};

http_client::http_client(std::string host, uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

std::size_t http_client::connections_opened() const {
  return impl_->opened;
}

void http_client::disconnect() {
  impl_->drop();
}

http_response http_client::request(const std::string& method, const std::string& target, const std::string& body,
                                   const header_list& headers, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  const std::string what = "http " + method + " " + target + " on " + impl_->host + ":" + std::to_string(impl_->port);

  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  bool has_host = false, has_length = false;
  for (const auto& [k, v] : headers) {
    req.insert(k, v);
    has_host = has_host || ci_equal(k, "Host");
    has_length = has_length || ci_equal(k, "Content-Length") || ci_equal(k, "Transfer-Encoding");
  }
  if (!has_host) req.set(bhttp::field::host, impl_->host + ":" + std::to_string(impl_->port));
  req.body() = body;
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    if (impl_->stream && (impl_->buffer.size() > 0 || looks_stale(impl_->stream->socket()))) impl_->drop();
    if (!impl_->stream) {
      if (auto ec = impl_->connect(deadline)) {
        impl_->drop();
        throw std::runtime_error(what + ": cannot connect: " + describe(ec, timeout));
      }
    }
    beast::error_code ec;
    bool retryable = false;
    if (auto res = impl_->exchange(req, deadline, ec, retryable)) return std::move(*res);
    impl_->drop();
    if (!retryable || attempt > 0) throw std::runtime_error(what + ": " + describe(ec, timeout));
  }
}

namespace {
header_list with_json_type(const header_list& headers) {
  for (const auto& [k, v] : headers)
    if (ci_equal(k, "Content-Type")) return headers;
  header_list h = headers;
  h.emplace_back("Content-Type", "application/json");
  return h;
}
}  // namespace

http_response http_client::get(const std::string& target, const header_list& headers) {
  return request("GET", target, "", headers);
}

http_response http_client::post_json(const std::string& target, const nlohmann::json& body,
                                     const header_list& headers) {
  return request("POST", target, body.dump(), with_json_type(headers));
}

http_response http_client::put_json(const std::string& target, const nlohmann::json& body, const header_list& headers) {
  return request("PUT", target, body.dump(), with_json_type(headers));
}

// --- raw_connection ----------------------------------------------------------
// Plain non-blocking socket calls with poll() for waiting, so that a timeout
// never closes the connection (Beast's tcp_stream would).

namespace {

enum class parse_state { complete, incomplete, invalid };

/// Parses one response from the front of `buf`; on success removes its bytes.
parse_state parse_front(std::string& buf, bool eof, std::optional<http_response>& out) {
  bhttp::response_parser<bhttp::string_body> p;
  p.eager(true);
  p.body_limit(body_limit);
  p.header_limit(header_limit);
  std::size_t used = 0;
  beast::error_code ec;
  while (!p.is_done() && used < buf.size()) {
    std::size_t n = p.put(asio::buffer(buf.data() + used, buf.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) break;
    if (ec) return parse_state::invalid;
    if (n == 0) break;
  }
  if (!p.is_done() && eof && p.got_some()) {
    ec = {};
    p.put_eof(ec);
    if (ec) return parse_state::invalid;
  }
  if (!p.is_done()) return parse_state::incomplete;
  buf.erase(0, used);
  out = convert(p.release());
  return parse_state::complete;
}

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

}  // namespace

struct raw_connection::impl {
  asio::io_context ioc;
  std::optional<tcp::socket> socket;
  std::string buf;   // received, not yet consumed
  bool eof = false;  // the peer closed (or reset) the connection

  int fd() {
    if (!socket) throw std::runtime_error("raw_connection: not connected");
    return socket->native_handle();
  }

  /// Waits for `events` until `deadline`; true if ready.
  bool wait(short events, clock_type::time_point deadline) {
    for (;;) {
      pollfd p{fd(), events, 0};
      int r = ::poll(&p, 1, remaining_ms(deadline));
      if (r > 0) return true;
      if (r == 0) return false;
      if (errno != EINTR) throw std::runtime_error(std::string("raw_connection: poll: ") + std::strerror(errno));
    }
  }

  /// Reads what is available once the socket is readable; false if nothing
  /// arrived before `deadline`.
  bool receive(clock_type::time_point deadline) {
    if (eof) return false;
    if (!wait(POLLIN, deadline)) return false;
    char tmp[16384];
    ssize_t n = ::recv(fd(), tmp, sizeof tmp, MSG_DONTWAIT);
    if (n > 0)
      buf.append(tmp, static_cast<std::size_t>(n));
    else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
      eof = true;
    return true;
  }
};

raw_connection::raw_connection() : impl_(std::make_unique<impl>()) {}

raw_connection::raw_connection(const std::string& host, uint16_t port, std::chrono::milliseconds timeout)
    : raw_connection() {
  connect(host, port, timeout);
}

raw_connection::~raw_connection() = default;

void raw_connection::connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  impl_->socket.reset();
  impl_->buf.clear();
  impl_->eof = false;
  beast::tcp_stream s(impl_->ioc);
  s.expires_after(timeout);
  auto eps = resolve(impl_->ioc, host, port);
  if (auto ec = run_op(impl_->ioc, [&](auto h) { s.async_connect(eps, std::move(h)); }))
    throw std::runtime_error("raw_connection to " + host + ":" + std::to_string(port) + ": " + describe(ec, timeout));
  s.expires_never();
  impl_->socket.emplace(s.release_socket());
}

bool raw_connection::send(const std::string& bytes, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    if (!impl_->wait(POLLOUT, deadline)) return false;
    ssize_t n = ::send(impl_->fd(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
      sent += static_cast<std::size_t>(n);
    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return false;
  }
  return true;
}

std::optional<http_response> raw_connection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::optional<http_response> out;
    switch (parse_front(impl_->buf, impl_->eof, out)) {
      case parse_state::complete:
        return out;
      case parse_state::invalid:
        return std::nullopt;
      case parse_state::incomplete:
        break;
    }
    if (impl_->eof || !impl_->receive(deadline)) return std::nullopt;
  }
}

bool raw_connection::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (!impl_->eof)
    if (!impl_->receive(deadline)) return false;
  return true;
}

std::string raw_connection::pending() const {
  return impl_->buf;
}

std::string raw_exchange(const std::string& host, uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  raw_connection c(host, port, timeout);
  auto left = [&] { return std::chrono::milliseconds(remaining_ms(deadline)); };
  c.send(bytes, left());  // the server may hang up mid-way: read what it said anyway
  c.closed_by_peer(left());
  return c.pending();
}

}  // namespace trainia::test
