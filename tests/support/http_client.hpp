#pragma once
// A small synchronous HTTP/1.1 client for tests (Boost.Beast underneath, not
// exposed here), plus raw-socket helpers for protocol-abuse tests. Every
// failure throws std::runtime_error naming the request and the cause.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainia::test {

/// ASCII case-insensitive ordering for header names. Transparent: maps keyed
/// with it can be searched with a std::string_view or a string literal.
struct ci_less {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      return static_cast<unsigned char>(lower(x)) < static_cast<unsigned char>(lower(y));
    });
  }
};

/// Header fields in the order they are sent; a name may appear more than once.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// A received HTTP response.
struct http_response {
  /// The status code, e.g. 200.
  int status = 0;
  /// Header fields by case-insensitive name; a repeated field's values are
  /// joined with ", " in arrival order.
  std::map<std::string, std::string, ci_less> headers;
  /// The body as received (chunked encoding removed).
  std::string body;

  /// The body parsed as JSON; throws std::runtime_error quoting the status and
  /// the body when it is not JSON.
  nlohmann::json json() const;
  /// The value of header `name` (any case), or "" when absent.
  std::string header(std::string_view name) const;
  /// True if header `name` (any case) is present, even with an empty value.
  bool has_header(std::string_view name) const { return headers.find(name) != headers.end(); }
};

/// A synchronous HTTP/1.1 client for one host:port (an IP address such as
/// "127.0.0.1"). It keeps one keep-alive connection and reuses it; when the
/// server has closed that connection in the meantime it reconnects
/// transparently (a request is re-sent only if the reused connection failed
/// before any byte of the response arrived). Not thread-safe: use one client
/// per thread.
class http_client {
 public:
  /// Does not connect yet; the first request does.
  http_client(std::string host, uint16_t port);
  ~http_client();
  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request and reads the whole response within `timeout`.
  /// Adds Host (unless given in `headers`) and Content-Length for a non-empty
  /// body or a POST/PUT/PATCH (unless Content-Length or Transfer-Encoding is
  /// given); `headers` are sent as given, repeats included. A response to HEAD
  /// has an empty body. Throws std::runtime_error on connect/write/read
  /// failure or timeout; any HTTP status is a normal result.
  http_response request(const std::string& method, const std::string& target, const std::string& body = "",
                        const header_list& headers = {}, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// GET `target`.
  http_response get(const std::string& target, const header_list& headers = {});
  /// POST `body` serialised, with Content-Type: application/json unless
  /// `headers` sets a Content-Type.
  http_response post_json(const std::string& target, const nlohmann::json& body, const header_list& headers = {});
  /// PUT, like post_json.
  http_response put_json(const std::string& target, const nlohmann::json& body, const header_list& headers = {});

  /// How many TCP connections this client has opened so far (keep-alive
  /// checks: stays 1 while the server keeps the connection open).
  std::size_t connections_opened() const;
  /// Closes the current connection, if any; the next request reconnects.
  void disconnect();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Opens a fresh TCP connection to host:port, writes `bytes` exactly as given
/// (a write error such as the server closing early is ignored), then reads
/// until the server closes the connection or `timeout` (counted from the
/// start) passes. Returns everything read, possibly "". Throws only if the
/// connection cannot be opened.
std::string raw_exchange(const std::string& host, uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout);

/// A raw TCP connection for slow-loris style tests: send some bytes, wait,
/// send more, and see whether and how the server answers or hangs up.
/// Not thread-safe.
class raw_connection {
 public:
  /// Not connected; call connect().
  raw_connection();
  /// Connects at once (see connect()).
  raw_connection(const std::string& host, uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// (Re)connects to host:port; throws std::runtime_error on failure or timeout.
  void connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Writes `bytes` exactly. Returns false (does not throw) if the write
  /// fails, e.g. because the server has closed the connection, or does not
  /// complete within `timeout`.
  bool send(const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Reads and parses one HTTP response (Beast's parser, 64 MiB body limit),
  /// or nullopt when the connection closes, the bytes are not a valid
  /// response, or `timeout` passes first.
  std::optional<http_response> read_response(std::chrono::milliseconds timeout);
  /// Waits up to `timeout` for the server to close the connection (EOF or
  /// reset): true if it did, false if it was still open at the end. Bytes the
  /// server sends meanwhile are kept for a later read_response().
  bool closed_by_peer(std::chrono::milliseconds timeout);
  /// Bytes received but not yet consumed by read_response().
  std::string pending() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The header {"Authorization", "Bearer <token>"}.
std::pair<std::string, std::string> bearer(const std::string& token);

}  // namespace trainia::test
