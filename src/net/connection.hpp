#pragma once

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace trainia::net {

/// One TCP (or TLS over TCP) connection to an origin, with the read buffer and
/// the parser of the exchange in progress. Owned by exactly one call while in
/// use and by the pool while idle; completion handlers hold a reference so an
/// abandoned connection outlives its aborted operations.
struct connection {
  using plain_stream = boost::beast::tcp_stream;
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using parser_type = boost::beast::http::response_parser<boost::beast::http::string_body>;

  /// `tls_ctx` null: plain http.
  connection(boost::asio::io_context& ioc, boost::asio::ssl::context* tls_ctx, std::string origin);

  std::string origin;
  std::unique_ptr<plain_stream> plain;
  std::unique_ptr<tls_stream> tls;
  boost::beast::flat_buffer buffer;
  std::optional<parser_type> parser;
  std::string verify_error;  // why the certificate was refused (set by the verify callback)
  std::chrono::steady_clock::time_point idle_since{};

  boost::asio::ip::tcp::socket& socket();
  plain_stream& lowest() { return tls ? tls->next_layer() : *plain; }

  /// Runs `f(stream)` with the stream to read and write (TLS or plain).
  template <class F>
  decltype(auto) with_stream(F&& f) {
    if (tls) return f(*tls);
    return f(*plain);
  }

  /// SNI (unless `host` is an IP literal) and chain + host name verification.
  void set_tls_host(const std::string& host, bool host_is_ip);
  /// A fresh parser for the next response (16 MiB body, 64 KiB header limit).
  void prepare_exchange(bool head_request);
  /// For a pooled connection: still open and nothing unexpected arrived
  /// (a FIN, a TLS close_notify or stray bytes mean it must not be reused).
  /// Non-blocking peek on the socket.
  bool reusable_when_idle();
  /// Closes the socket now; pending operations complete with an error.
  void close();
};

inline constexpr std::uint64_t response_body_limit = 16ull * 1024 * 1024;
inline constexpr std::uint32_t response_header_limit = 64 * 1024;

}  // namespace trainia::net
