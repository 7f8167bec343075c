#pragma once

#include "support/http_client.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trainia::test {

struct recorded_request {
  std::string method, target, body;
  std::map<std::string, std::string, ci_less> headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct fake_response {
  int status = 200;
  header_list headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  bool hang = false;                    // never answer (until the server stops)
  bool close_without_response = false;  // drop the connection instead of answering
};

/// A real HTTP/1.1 server on 127.0.0.1 (a free port) for faking Stripe or an
/// OpenAI-compatible provider. Routes are matched in order by method and path
/// prefix; unmatched requests get 404 JSON. Delays and hangs never block other
/// connections. Every request is recorded. Thread-safe.
class fake_http_server {
 public:
  using handler = std::function<fake_response(const recorded_request&)>;
  fake_http_server();
  ~fake_http_server();
  fake_http_server(const fake_http_server&) = delete;

  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  void on(const std::string& method, const std::string& path_prefix, handler h);
  std::vector<recorded_request> requests() const;
  size_t count(const std::string& method, const std::string& path_prefix) const;
  void clear();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// A JSON response.
fake_response json_reply(int status, const std::string& body, header_list headers = {});

}  // namespace trainia::test
