// A stand-in for an OpenAI-compatible provider, for bench/run: answers
// POST .../chat/completions after a fixed delay with an OpenAI-shaped body.
// One Asio thread, a timer per request (no thread per request), keep-alive.
//   bench_fake_provider --port P [--delay-ms 50] [--threads 1]
// Prints "listening <port>" once ready; on SIGTERM/SIGINT prints the number of
// completions served and exits. With --trace FILE it also writes, on exit, each
// completion's arrival and answer times (wall clock, microseconds; TSV).
#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::atomic<long> served{0};
std::chrono::milliseconds delay{50};

/// --trace FILE: each completion's arrival and answer (wall clock, µs), written on exit.
bool tracing = false;
std::mutex trace_mu;
std::vector<std::pair<int64_t, int64_t>> trace;

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The model the request names (a plain scan: the body is ours to trust here).
std::string model_of(const std::string& body) {
  auto k = body.find("\"model\"");
  if (k == std::string::npos) return "bench-model";
  auto q1 = body.find('"', body.find(':', k) + 1);
  auto q2 = q1 == std::string::npos ? q1 : body.find('"', q1 + 1);
  if (q2 == std::string::npos) return "bench-model";
  return body.substr(q1 + 1, q2 - q1 - 1);
}

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : stream_(std::move(s)), timer_(stream_.get_executor()) {}
  void start() { read(); }

 private:
  void read() {
    req_ = {};
    http::async_read(stream_, buf_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->on_request();
    });
  }

  void on_request() {
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    std::string_view target = req_.target();
    bool chat = req_.method() == http::verb::post && target.size() >= 17 &&
                target.substr(target.size() - 17) == "/chat/completions";
    if (!chat) {
      res_.result(http::status::not_found);
      res_.set(http::field::content_type, "application/json");
      res_.body() = R"({"error":{"message":"not found","type":"invalid_request_error"}})";
      return write();
    }
    res_.result(http::status::ok);
    res_.set(http::field::content_type, "application/json");
    res_.body() = R"({"id":"chatcmpl-bench","object":"chat.completion","created":)" +
                  std::to_string(std::time(nullptr)) + R"(,"model":")" + model_of(req_.body()) +
                  R"(","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],)"
                  R"("usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}})";
    int64_t arrived = tracing ? wall_us() : 0;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), arrived](beast::error_code ec) {
      if (ec) return;
      ++served;
      if (tracing) {
        std::lock_guard<std::mutex> lock(trace_mu);
        trace.emplace_back(arrived, wall_us());
      }
      self->write();
    });
  }

  void write() {
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->res_.keep_alive()) {
        beast::error_code ignored;
        self->stream_.shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      self->read();
    });
  }

  tcp::socket stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void accept(tcp::acceptor& a) {
  a.async_accept([&a](beast::error_code ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(s))->start();
    }
    accept(a);
  });
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  int threads = 1;
  std::string trace_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--port") port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    else if (k == "--delay-ms") delay = std::chrono::milliseconds(std::atoi(argv[i + 1]));
    else if (k == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
    else if (k == "--trace") trace_file = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: bench_fake_provider --port P [--delay-ms 50] [--threads 1] [--trace FILE]\n");
      return 2;
    }
  }
  tracing = !trace_file.empty();
  asio::io_context io;
  tcp::acceptor acceptor(io);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  acceptor.open(ep.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(4096);
  accept(acceptor);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  std::printf("listening %u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  std::printf("served %ld\n", served.load());
  if (tracing) {
    if (FILE* f = std::fopen(trace_file.c_str(), "w")) {
      std::fprintf(f, "arrived_us\tanswered_us\n");
      for (const auto& [a, b] : trace) std::fprintf(f, "%lld\t%lld\n", static_cast<long long>(a), static_cast<long long>(b));
      std::fclose(f);
    }
  }
  return 0;
}
