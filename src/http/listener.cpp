#include "http/listener.hpp"

#include "observability/log.hpp"

namespace trainia::http {

listener::listener(io_contexts& iocs, listener_shared& shared)
  : iocs_(iocs), acceptor_(*iocs.front()), shared_(shared) {}

std::string listener::open(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return "invalid listen address " + host;
  asio::ip::tcp::endpoint ep{addr, port};
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
  port_ = acceptor_.local_endpoint().port();
  return {};
}

void listener::run() { accept(); }

void listener::accept() {
  auto& target = *iocs_[next_++ % iocs_.size()];
  acceptor_.async_accept(target, [self = shared_from_this()](beast::error_code ec, tcp_socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      if (self->shared_.count.load(std::memory_order_relaxed) >= self->shared_.app.cfg.http_max_connections ||
          self->shared_.app.stopping.load(std::memory_order_acquire)) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        auto c = std::make_shared<http_connection>(std::move(socket), self->shared_);
        {
          std::lock_guard<std::mutex> g(self->shared_.mx);
          c->track(self->shared_.live.insert(self->shared_.live.end(), c));
        }
        c->start();
      }
    } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
      // Out of descriptors: back off briefly instead of spinning on accept.
      log::warn("accept failed", {{"error", ec.message()}});
      auto t = std::make_shared<asio::steady_timer>(self->acceptor_.get_executor(), std::chrono::milliseconds(50));
      t->async_wait([self, t](beast::error_code) { self->accept(); });
      return;
    }
    self->accept();
  });
}

void listener::stop() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
  });
  std::vector<std::shared_ptr<http_connection>> conns;
  {
    std::lock_guard<std::mutex> g(shared_.mx);
    for (auto& w : shared_.live)
      if (auto c = w.lock()) conns.push_back(std::move(c));
  }
  for (auto& c : conns) c->stop();
}

}  // namespace trainia::http
