#pragma once
// A scriptable HTTP/1.1 server on 127.0.0.1 standing in for outward services
// (Stripe, an OpenAI-compatible API) in tests.

#include "support/http_client.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::test {

/// One request as the fake server received it.
struct recorded_request {
  /// The method ("POST"), the request target as sent ("/v1/x?y=1"), the body.
  std::string method, target, body;
  /// Header fields by case-insensitive name; repeats joined with ", ".
  std::map<std::string, std::string, ci_less> headers;
  /// Which connection it arrived on: 1 for the server's first accepted
  /// connection, 2 for the next, … (keep-alive checks).
  std::uint64_t connection = 0;

  /// The value of header `name` (any case), or "" when absent.
  std::string header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  /// The target without its query string.
  std::string path() const { return target.substr(0, target.find('?')); }
};

/// What a route answers.
struct fake_response {
  /// The status code sent (with Beast's standard reason phrase).
  int status = 200;
  /// Sent as given (repeats allowed). Content-Length is added unless present;
  /// a "Transfer-Encoding: chunked" header makes the body go out chunked.
  header_list headers;
  /// The body, byte for byte.
  std::string body;
  /// Wait this long (on a timer, not blocking anything else) before answering.
  std::chrono::milliseconds delay{0};
  /// Never answer: keep the connection open, reading and discarding, until
  /// the client closes it or the server is destroyed.
  bool hang = false;
  /// Close the connection (after `delay`) without sending anything.
  bool close_without_response = false;
};

/// A real HTTP/1.1 server on 127.0.0.1 at a port of its own, served by four
/// io_context threads with fully asynchronous connections, so that delayed
/// or hanging answers never hold up other requests. Supports keep-alive and
/// many concurrent connections. Every request is recorded before its handler
/// runs. Routes match by exact method and path prefix (query string ignored),
/// first registered first; unmatched requests get 404 with a JSON error body;
/// a handler that throws gets 500 with the exception text in a JSON body; a
/// request Beast cannot parse gets 400 and the connection is closed.
/// Handlers run on the server's threads, possibly several at once: they must
/// be thread-safe. All member functions are thread-safe.
class fake_http_server {
 public:
  using handler = std::function<fake_response(const recorded_request&)>;

  /// Binds 127.0.0.1 on a port not handed out by free_port() and starts
  /// serving. Throws std::runtime_error if it cannot listen.
  fake_http_server();
  /// Stops accepting, closes every connection (hanging and delayed ones
  /// included), waits for running handlers to return and joins the threads.
  ~fake_http_server();
  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;

  /// The port it listens on (127.0.0.1).
  uint16_t port() const;
  /// "http://127.0.0.1:PORT"
  std::string base_url() const;

  /// Adds a route for `method` (exact, e.g. "POST") and every path starting
  /// with `path_prefix`; routes added earlier win.
  void on(const std::string& method, const std::string& path_prefix, handler h);
  /// A snapshot of every request received since construction or clear(), in
  /// arrival order.
  std::vector<recorded_request> requests() const;
  /// How many recorded requests have `method` and a path starting with
  /// `path_prefix`.
  std::size_t count(const std::string& method, const std::string& path_prefix) const;
  /// Waits up to `timeout` until count(method, path_prefix) >= n; returns
  /// whether it got there (no polling: woken by each request).
  bool wait_for(const std::string& method, const std::string& path_prefix, std::size_t n,
                std::chrono::milliseconds timeout) const;
  /// Forgets the recorded requests (routes stay).
  void clear();
  /// Removes every route (recorded requests stay).
  void clear_routes();
  /// From now on, close a connection once it has waited `idle` for its next
  /// request (0, the default: never), like a server's keep-alive time-out.
  void close_idle_after(std::chrono::milliseconds idle);
  /// TCP connections accepted so far.
  std::size_t connections_accepted() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A response with `body` (JSON text) and Content-Type: application/json,
/// plus `headers`.
fake_response json_reply(int status, const std::string& body, header_list headers = {});

}  // namespace trainia::test
