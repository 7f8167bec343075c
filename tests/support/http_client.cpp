#include "support/http_client.hpp"

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace trainia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

nlohmann::json http_response::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("response is not JSON (status " + std::to_string(status) + "): " + body);
  return j;
}

std::string http_response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::pair<std::string, std::string> bearer(const std::string& token) { return {"Authorization", "Bearer " + token}; }

namespace {

http_response convert(bhttp::response<bhttp::string_body>&& res) {
  http_response out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string k(f.name_string());
    std::string v(f.value());
    auto it = out.headers.find(k);
    if (it == out.headers.end()) out.headers.emplace(std::move(k), std::move(v));
    else it->second += ", " + v;
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace

struct http_client::impl {
  std::string host;
  uint16_t port;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void connect(std::chrono::milliseconds timeout) {
    stream.emplace(ioc);
    stream->expires_after(timeout);
    stream->connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
    buffer.clear();
  }

  http_response exchange(bhttp::request<bhttp::string_body>& req, std::chrono::milliseconds timeout) {
    stream->expires_after(timeout);
    bhttp::write(*stream, req);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(req.method() == bhttp::verb::head);
    bhttp::read(*stream, buffer, parser);
    auto res = parser.release();
    bool keep = res.keep_alive();
    auto out = convert(std::move(res));
    if (!keep) stream.reset();
    return out;
  }
};

http_client::http_client(std::string host, uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;

http_response http_client::request(const std::string& method, const std::string& target, const std::string& body,
                                   const header_list& headers, std::chrono::milliseconds timeout) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, impl_->host + ":" + std::to_string(impl_->port));
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
  req.keep_alive(true);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (!impl_->stream) impl_->connect(timeout);
      return impl_->exchange(req, timeout);
    } catch (const beast::system_error& e) {
      // A stale keep-alive connection: reconnect once. Timeouts are real failures.
      impl_->stream.reset();
      if (attempt == 1 || e.code() == beast::error::timeout)
        throw std::runtime_error("http " + method + " " + target + ": " + e.code().message());
    }
  }
  throw std::runtime_error("unreachable");
}

http_response http_client::get(const std::string& target, const header_list& headers) {
  return request("GET", target, "", headers);
}

http_response http_client::post_json(const std::string& target, const nlohmann::json& body, const header_list& headers) {
  auto h = headers;
  h.emplace_back("Content-Type", "application/json");
  return request("POST", target, body.dump(), h);
}

http_response http_client::put_json(const std::string& target, const nlohmann::json& body, const header_list& headers) {
  auto h = headers;
  h.emplace_back("Content-Type", "application/json");
  return request("PUT", target, body.dump(), h);
}

std::string raw_exchange(const std::string& host, uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.expires_after(timeout);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
  beast::error_code ec;
  asio::write(s, asio::buffer(bytes), ec);
  std::string out;
  char buf[8192];
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

struct raw_connection::impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

raw_connection::raw_connection(const std::string& host, uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->stream.expires_after(std::chrono::seconds(5));
  impl_->stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
}

raw_connection::~raw_connection() = default;

bool raw_connection::send(const std::string& bytes) {
  beast::error_code ec;
  impl_->stream.expires_after(std::chrono::seconds(5));
  asio::write(impl_->stream, asio::buffer(bytes), ec);
  return !ec;
}

std::optional<http_response> raw_connection::read_response(std::chrono::milliseconds timeout) {
  impl_->stream.expires_after(timeout);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  bhttp::read(impl_->stream, impl_->buffer, parser, ec);
  if (ec) return std::nullopt;
  return convert(parser.release());
}

bool raw_connection::closed_by_peer(std::chrono::milliseconds timeout) {
  impl_->stream.expires_after(timeout);
  char buf[4096];
  beast::error_code ec;
  for (;;) {
    impl_->stream.read_some(asio::buffer(buf), ec);
    if (ec == beast::error::timeout) return false;
    if (ec) return true;  // eof or reset
  }
}

}  // namespace trainia::test
