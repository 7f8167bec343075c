#include "support/fake_http_server.hpp"

#include "support/server_process.hpp"

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace trainia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

fake_response json_reply(int status, const std::string& body, header_list headers) {
  fake_response r;
  r.status = status;
  r.body = body;
  headers.emplace_back("Content-Type", "application/json");
  r.headers = std::move(headers);
  return r;
}

namespace {

bool starts_with_path(const recorded_request& r, const std::string& method, const std::string& prefix) {
  return r.method == method && r.path().compare(0, prefix.size(), prefix) == 0;
}

bool has_field(const header_list& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (!ci_less()(k, name) && !ci_less()(name, k)) return true;
  return false;
}

fake_response error_reply(int status, const std::string& message) {
  return json_reply(status, nlohmann::json{{"error", {{"message", message}}}}.dump());
}

}  // namespace

struct fake_http_server::impl {
  struct session;

  asio::io_context ioc;  // declared first: destroyed after every socket
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  uint16_t port = 0;
  std::vector<std::thread> threads;

  mutable std::mutex mx;
  mutable std::condition_variable arrived;
  std::vector<std::tuple<std::string, std::string, handler>> routes;
  std::vector<recorded_request> log;
  std::set<std::shared_ptr<session>> live;  // open connections
  std::uint64_t connections = 0;
  bool stopping = false;
  std::atomic<long long> idle_close_ms{0};  // close_idle_after()

  bool is_stopping() {
    std::lock_guard<std::mutex> g(mx);
    return stopping;
  }

  /// Records `rr` and returns the handler of the first matching route.
  handler record(const recorded_request& rr) {
    std::lock_guard<std::mutex> g(mx);
    log.push_back(rr);
    arrived.notify_all();
    for (const auto& [m, prefix, fn] : routes)
      if (starts_with_path(rr, m, prefix)) return fn;
    return nullptr;
  }

  /// One connection; every member runs on the session's strand.
  struct session : std::enable_shared_from_this<session> {
    impl& owner;
    std::uint64_t id;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser;
    bhttp::response<bhttp::string_body> res;
    asio::steady_timer timer;
    bool keep_alive = true;
    bool closed = false;
    char sink[4096];
    std::uint64_t idle_gen = 0;  // which wait for a request an idle time-out belongs to

    session(impl& o, std::uint64_t n, tcp::socket s)
        : owner(o), id(n), stream(std::move(s)), timer(stream.get_executor()) {}

    void read() {
      if (closed || owner.is_stopping()) return finish();
      parser.emplace();
      parser->body_limit(64ull * 1024 * 1024);
      parser->header_limit(64 * 1024);
      if (auto ms = owner.idle_close_ms.load(); ms > 0) {
        timer.expires_after(std::chrono::milliseconds(ms));
        timer.async_wait([self = shared_from_this(), gen = ++idle_gen](beast::error_code ec) {
          if (!ec && gen == self->idle_gen && !self->closed && !self->parser->got_some()) self->finish();
        });
      }
      bhttp::async_read(stream, buffer, *parser,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      ++idle_gen;
      if (closed) return;
      if (!ec) return handle(parser->release());
      static const auto& http_errors = bhttp::make_error_code(bhttp::error::bad_method).category();
      if (ec != bhttp::error::end_of_stream && ec.category() == http_errors)  // malformed request
        return send_raw("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      finish();  // the client left, or a network error
    }

    void handle(bhttp::request<bhttp::string_body> req) {
      recorded_request rr;
      rr.method = std::string(req.method_string());
      rr.target = std::string(req.target());
      rr.body = std::move(req.body());
      rr.connection = id;
      for (const auto& f : req) {
        std::string name(f.name_string());
        std::string value(f.value());
        auto it = rr.headers.find(name);
        if (it == rr.headers.end())
          rr.headers.emplace(std::move(name), std::move(value));
        else
          it->second += ", " + value;
      }
      keep_alive = req.keep_alive();
      handler h = owner.record(rr);
      fake_response fr;
      try {
        fr = h ? h(rr) : error_reply(404, "no fake route for " + rr.method + " " + rr.path());
      } catch (const std::exception& e) {
        fr = error_reply(500, std::string("fake handler threw: ") + e.what());
      }
      if (fr.hang) return hang();
      if (fr.delay.count() <= 0) return respond(fr);
      timer.expires_after(fr.delay);
      timer.async_wait([self = shared_from_this(), fr = std::move(fr)](beast::error_code ec) {
        if (ec || self->closed) return self->finish();
        self->respond(fr);
      });
    }

    void respond(const fake_response& fr) {
      if (closed) return;
      if (fr.close_without_response) return finish();
      res = {};
      res.version(11);
      res.result(static_cast<unsigned>(fr.status));
      for (const auto& [k, v] : fr.headers) res.insert(k, v);
      res.body() = fr.body;
      if (!has_field(fr.headers, "Content-Length") && !has_field(fr.headers, "Transfer-Encoding"))
        res.prepare_payload();
      keep_alive = keep_alive && res.keep_alive();  // the handler may have said "Connection: close"
      if (!keep_alive) res.keep_alive(false);
      bhttp::async_write(stream, res, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec || !self->keep_alive) return self->finish();
        self->read();
      });
    }

    void send_raw(const char* text) {
      asio::async_write(stream, asio::buffer(text, std::strlen(text)),
                        [self = shared_from_this()](beast::error_code, std::size_t) { self->finish(); });
    }

    /// Keeps the connection open, discarding input, until the client closes
    /// it or finish() closes it.
    void hang() {
      stream.async_read_some(asio::buffer(sink), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec || self->closed) return self->finish();
        self->hang();
      });
    }

    /// Closes the connection (idempotent); pending operations end aborted.
    void finish() {
      if (closed) return;
      closed = true;
      timer.cancel();
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
      std::shared_ptr<session> me = shared_from_this();
      std::lock_guard<std::mutex> g(owner.mx);
      owner.live.erase(me);
    }
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        std::shared_ptr<session> sess;
        {
          std::lock_guard<std::mutex> g(mx);
          if (stopping) return;
          sess = std::make_shared<session>(*this, ++connections, std::move(s));
          live.insert(sess);
        }
        asio::dispatch(sess->stream.get_executor(), [sess] { sess->read(); });
      }
      accept();
    });
  }

  void run() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fake_http_server: %s\n", e.what());
      }
    }
  }
};

fake_http_server::fake_http_server() : impl_(std::make_unique<impl>()) {
  auto ep = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  for (int attempt = 0;; ++attempt) {
    beast::error_code ec;
    impl_->acceptor.open(ep.protocol(), ec);
    if (!ec) impl_->acceptor.bind(ep, ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("fake_http_server: cannot listen on 127.0.0.1: " + ec.message());
    impl_->port = impl_->acceptor.local_endpoint().port();
    if (claim_port(impl_->port)) break;  // not a port free_port() gave to someone
    impl_->acceptor.close(ec);
    if (attempt == 100) throw std::runtime_error("fake_http_server: no unclaimed port");
  }
  impl_->accept();
  for (int i = 0; i < 4; ++i) impl_->threads.emplace_back([i = impl_.get()] { i->run(); });
}

fake_http_server::~fake_http_server() {
  std::set<std::shared_ptr<impl::session>> open;
  {
    std::lock_guard<std::mutex> g(impl_->mx);
    impl_->stopping = true;
    open = impl_->live;
  }
  asio::post(impl_->acceptor.get_executor(), [i = impl_.get()] {
    beast::error_code ignored;
    i->acceptor.close(ignored);
  });
  for (const auto& s : open) asio::post(s->stream.get_executor(), [s] { s->finish(); });
  open.clear();
  // With the acceptor and every connection closed the io_context runs out of
  // work and the threads return.
  for (auto& t : impl_->threads) t.join();
}

uint16_t fake_http_server::port() const {
  return impl_->port;
}

std::string fake_http_server::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void fake_http_server::on(const std::string& method, const std::string& path_prefix, handler h) {
  std::lock_guard<std::mutex> g(impl_->mx);
  impl_->routes.emplace_back(method, path_prefix, std::move(h));
}

std::vector<recorded_request> fake_http_server::requests() const {
  std::lock_guard<std::mutex> g(impl_->mx);
  return impl_->log;
}

std::size_t fake_http_server::count(const std::string& method, const std::string& path_prefix) const {
  std::lock_guard<std::mutex> g(impl_->mx);
  std::size_t n = 0;
  for (const auto& r : impl_->log)
    if (starts_with_path(r, method, path_prefix)) ++n;
  return n;
}

bool fake_http_server::wait_for(const std::string& method, const std::string& path_prefix, std::size_t n,
                                std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> g(impl_->mx);
  return impl_->arrived.wait_for(g, timeout, [&] {
    std::size_t k = 0;
    for (const auto& r : impl_->log)
      if (starts_with_path(r, method, path_prefix)) ++k;
    return k >= n;
  });
}

void fake_http_server::clear() {
  std::lock_guard<std::mutex> g(impl_->mx);
  impl_->log.clear();
}

void fake_http_server::clear_routes() {
  std::lock_guard<std::mutex> g(impl_->mx);
  impl_->routes.clear();
}

void fake_http_server::close_idle_after(std::chrono::milliseconds idle) {
  impl_->idle_close_ms = idle.count();
}

std::size_t fake_http_server::connections_accepted() const {
  std::lock_guard<std::mutex> g(impl_->mx);
  return impl_->connections;
}

}  // namespace trainia::test
