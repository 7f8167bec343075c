#include "support/fake_http_server.hpp"

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <list>
#include <mutex>
#include <thread>

namespace trainia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

fake_response json_reply(int status, const std::string& body, header_list headers) {
  fake_response r;
  r.status = status;
  r.body = body;
  headers.emplace_back("Content-Type", "application/json");
  r.headers = std::move(headers);
  return r;
}

struct fake_http_server::impl {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  mutable std::mutex mx;
  std::vector<std::tuple<std::string, std::string, handler>> routes;
  std::vector<recorded_request> log;
  std::list<std::weak_ptr<void>> sessions;  // to close hanging ones on stop
  uint16_t port = 0;

  struct session : std::enable_shared_from_this<session> {
    impl* owner;  // outlives every session: ~fake_http_server joins the threads first
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    std::shared_ptr<bhttp::response<bhttp::string_body>> res;
    asio::steady_timer timer;
    session(impl* o, asio::ip::tcp::socket s)
      : owner(o), stream(std::move(s)), timer(stream.get_executor()) {}

    void read() {
      req = {};
      bhttp::async_read(stream, buffer, req, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->handle();
      });
    }

    void handle() {
      recorded_request rr;
      rr.method = std::string(req.method_string());
      rr.target = std::string(req.target());
      rr.body = req.body();
      for (const auto& f : req) rr.headers[std::string(f.name_string())] = std::string(f.value());
      handler h;
      {
        std::lock_guard<std::mutex> g(owner->mx);
        owner->log.push_back(rr);
        std::string path = rr.target.substr(0, rr.target.find('?'));
        for (const auto& [m, prefix, fn] : owner->routes)
          if (m == rr.method && path.compare(0, prefix.size(), prefix) == 0) {
            h = fn;
            break;
          }
      }
      fake_response fr = h ? h(rr) : json_reply(404, R"({"error":{"message":"no fake route"}})");
      if (fr.close_without_response) return close();
      if (fr.hang) return;  // keep the connection open, answer nothing
      res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(fr.status), 11);
      for (const auto& [k, v] : fr.headers) res->set(k, v);
      res->body() = fr.body;
      res->keep_alive(req.keep_alive());
      res->prepare_payload();
      if (fr.delay.count() > 0) {
        timer.expires_after(fr.delay);
        timer.async_wait([self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->close();
          self->write();
        });
      } else {
        write();
      }
    }

    void write() {
      bhttp::async_write(stream, *res, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec || !self->res->keep_alive()) return self->close();
        self->read();
      });
    }

    void close() {
      beast::error_code ec;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      stream.socket().close(ec);
    }
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [self = this](beast::error_code ec,
                                                                             asio::ip::tcp::socket s) {
      if (ec) return;
      auto sess = std::make_shared<session>(self, std::move(s));
      {
        std::lock_guard<std::mutex> g(self->mx);
        self->sessions.push_back(sess);
      }
      sess->read();
      self->accept();
    });
  }
};

fake_http_server::fake_http_server() : impl_(std::make_shared<impl>()) {
  auto ep = asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < 4; ++i) impl_->threads.emplace_back([i = impl_.get()] { i->ioc.run(); });
}

fake_http_server::~fake_http_server() {
  asio::post(impl_->ioc, [i = impl_.get()] {
    beast::error_code ec;
    i->acceptor.close(ec);
    std::lock_guard<std::mutex> g(i->mx);
    for (auto& w : i->sessions)
      if (auto s = std::static_pointer_cast<impl::session>(w.lock())) asio::post(s->stream.get_executor(), [s] { s->close(); });
  });
  // Give the closes a moment, then stop regardless of hanging handlers.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

uint16_t fake_http_server::port() const { return impl_->port; }

std::string fake_http_server::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void fake_http_server::on(const std::string& method, const std::string& path_prefix, handler h) {
  std::lock_guard<std::mutex> g(impl_->mx);
  impl_->routes.emplace_back(method, path_prefix, std::move(h));
}

std::vector<recorded_request> fake_http_server::requests() const {
  std::lock_guard<std::mutex> g(impl_->mx);
  return impl_->log;
}

size_t fake_http_server::count(const std::string& method, const std::string& path_prefix) const {
  std::lock_guard<std::mutex> g(impl_->mx);
  size_t n = 0;
  for (const auto& r : impl_->log)
    if (r.method == method && r.target.compare(0, path_prefix.size(), path_prefix) == 0) ++n;
  return n;
}

void fake_http_server::clear() {
  std::lock_guard<std::mutex> g(impl_->mx);
  impl_->log.clear();
  impl_->routes.clear();
}

}  // namespace trainia::test
