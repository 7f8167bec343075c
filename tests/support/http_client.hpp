#pragma once

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trainia::test {

struct ci_less {
  bool operator()(const std::string& a, const std::string& b) const { return boost::beast::iless()(a, b); }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
  int status = 0;
  std::map<std::string, std::string, ci_less> headers;  // repeated headers joined with ", "
  std::string body;
  /// The body as JSON; throws with the body in the message if it is not JSON.
  nlohmann::json json() const;
  /// A header's value, or "" when absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
};

/// A synchronous HTTP/1.1 client on Beast with one keep-alive connection,
/// reconnecting transparently when the server closed it. Not thread-safe:
/// use one per thread.
class http_client {
 public:
  http_client(std::string host, uint16_t port);
  ~http_client();
  http_client(http_client&&) noexcept;

  http_response request(const std::string& method, const std::string& target, const std::string& body = "",
                        const header_list& headers = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(15));
  http_response get(const std::string& target, const header_list& headers = {});
  http_response post_json(const std::string& target, const nlohmann::json& body, const header_list& headers = {});
  http_response put_json(const std::string& target, const nlohmann::json& body, const header_list& headers = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Opens a fresh connection, writes `bytes` exactly, and reads until the
/// server closes or `timeout` passes. Returns everything read.
std::string raw_exchange(const std::string& host, uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout);

/// A raw TCP connection for slow-loris style tests.
class raw_connection {
 public:
  raw_connection(const std::string& host, uint16_t port);
  ~raw_connection();
  /// Writes bytes; false if the peer has closed.
  bool send(const std::string& bytes);
  /// Reads one HTTP response (parsed with Beast), or nullopt on close/timeout.
  std::optional<http_response> read_response(std::chrono::milliseconds timeout);
  /// True if the server closes the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// "Bearer <token>" header.
std::pair<std::string, std::string> bearer(const std::string& token);

}  // namespace trainia::test
