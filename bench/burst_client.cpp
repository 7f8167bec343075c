// The burst of bench/run: submits N AI tasks at once over C connections
// (keep-alive; each connection sends its next request when the previous one
// is answered) and prints one status code per request, in request order.
//   bench_burst_client HOST PORT TOKENS_FILE N CONNECTIONS KEY_PREFIX
// Request i (1-based) uses token (i-1) mod #tokens and the header
// `Idempotency-Key: KEY_PREFIX-i`; its body is {"prompt":"burst i","max_tokens":8}.
// A request whose connection fails is answered "000". One Asio thread: the
// client shares the machine's two cores with the server, so it must be cheap
// (curl --parallel spent ~0.7 s of CPU on 1,000 requests).
#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct burst {
  std::vector<std::string> tokens;
  std::string host, key_prefix;
  tcp::endpoint target;
  size_t total = 0;
  size_t next = 0;  // the next request to send (0-based)
  std::vector<int> codes;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(asio::io_context& io, burst& b) : stream_(io), b_(b) {}

  void start() {
    stream_.async_connect(b_.target, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail_rest();
      self->send_next();
    });
  }

 private:
  void send_next() {
    if (b_.next >= b_.total) return;
    current_ = b_.next++;
    const size_t i = current_ + 1;
    req_ = {};
    req_.method(http::verb::post);
    req_.target("/api/ai/run");
    req_.version(11);
    req_.set(http::field::host, b_.host);
    req_.set(http::field::authorization, "Bearer " + b_.tokens[current_ % b_.tokens.size()]);
    req_.set(http::field::content_type, "application/json");
    req_.set("Idempotency-Key", b_.key_prefix + "-" + std::to_string(i));
    req_.body() = "{\"prompt\":\"burst " + std::to_string(i) + "\",\"max_tokens\":8}";
    req_.keep_alive(true);
    req_.prepare_payload();
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail_rest();
      self->res_ = {};
      http::async_read(self->stream_, self->buf_, self->res_, [self](beast::error_code ec2, size_t) {
        if (ec2) return self->fail_rest();
        self->b_.codes[self->current_] = static_cast<int>(self->res_.result_int());
        self->current_ = none;
        if (!self->res_.keep_alive()) {
          // The server closed: reconnect for the rest.
          beast::error_code ignored;
          self->stream_.socket().close(ignored);
          self->buf_.clear();
          return self->start();
        }
        self->send_next();
      });
    });
  }

  /// This connection failed: its current request (if any) is "000"; the other
  /// connections take the requests it would have sent.
  void fail_rest() {
    if (current_ != none) b_.codes[current_] = 0;
    current_ = none;
  }

  beast::tcp_stream stream_;
  burst& b_;
  static constexpr size_t none = static_cast<size_t>(-1);
  size_t current_ = none;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s HOST PORT TOKENS_FILE N CONNECTIONS KEY_PREFIX\n", argv[0]);
    return 2;
  }
  burst b;
  b.host = argv[1];
  b.key_prefix = argv[6];
  std::ifstream in(argv[3]);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) b.tokens.push_back(line);
  b.total = std::strtoul(argv[4], nullptr, 10);
  const size_t conns = std::strtoul(argv[5], nullptr, 10);
  if (b.tokens.empty() || b.total == 0 || conns == 0) {
    std::fprintf(stderr, "no tokens, no requests or no connections\n");
    return 2;
  }
  b.codes.assign(b.total, -1);
  asio::io_context io;
  b.target = tcp::endpoint(asio::ip::make_address(argv[1]), static_cast<unsigned short>(std::atoi(argv[2])));
  for (size_t c = 0; c < std::min(conns, b.total); ++c) std::make_shared<connection>(io, b)->start();
  io.run();
  for (int code : b.codes) std::printf("%03d\n", code < 0 ? 0 : code);
  return 0;
}
