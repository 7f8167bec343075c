#include "http/server.hpp"

#include "observability/log.hpp"

namespace trainia::http {

namespace {

// Sockets' reactor states created at start-up, per io_context.
constexpr int presized_socket_states = 256;

/// Asio keeps each socket's reactor state (epoll_reactor::descriptor_state,
/// 176 bytes) in a per-io_context free list that never shrinks. Created one
/// by one during a burst of connections, those states sit among the requests'
/// memory and keep its pages resident after the load is gone (bench/heap_walk
/// found ~100 such pages after the benchmark). Opening and closing `n`
/// sockets at start creates the first `n` together; later sockets reuse them.
void presize_socket_states(asio::io_context& ioc, int n) {
  std::vector<asio::ip::tcp::socket> sockets;
  sockets.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    boost::system::error_code ec;
    asio::ip::tcp::socket s(ioc);
    s.open(asio::ip::tcp::v4(), ec);
    if (ec) break;  // out of descriptors: the rest are created when needed
    sockets.push_back(std::move(s));
  }
}  // closed here: their states wait in the io_context's free list

}  // namespace

server::server(app_context& app, router api_routes, router admin_routes)
  : app_(app),
    api_(app, std::move(api_routes)),
    admin_pipe_(app, std::move(admin_routes)),
    public_shared_{app, api_, &app.svc.metrics.http_connections.with({{"listener", "public"}}), {}, {}, {}},
    admin_shared_{app, admin_pipe_, &app.svc.metrics.http_connections.with({{"listener", "admin"}}), {}, {}, {}} {}

server::~server() { stop(); }

std::string server::start() {
  int n = app_.cfg.http_io_threads > 0 ? app_.cfg.http_io_threads
                                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    iocs_.push_back(std::make_unique<asio::io_context>(1));  // one thread each
    presize_socket_states(*iocs_.back(), presized_socket_states);
  }
  public_ = std::make_shared<listener>(iocs_, public_shared_);
  if (auto e = public_->open(app_.cfg.host, app_.cfg.port); !e.empty()) return "PORT: " + e;
  admin_ = std::make_shared<listener>(iocs_, admin_shared_);
  if (auto e = admin_->open(app_.cfg.admin_host, app_.cfg.admin_port); !e.empty()) return "ADMIN_PORT: " + e;
  public_->run();
  admin_->run();
  for (auto& ioc : iocs_) {
    work_.push_back(asio::make_work_guard(*ioc));
    threads_.emplace_back([ioc = ioc.get()] { ioc->run(); });
  }
  return {};
}

void server::drain(std::chrono::milliseconds grace) {
  app_.stopping.store(true, std::memory_order_release);
  if (public_) public_->stop();
  if (admin_) admin_->stop();
  auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until &&
         (public_shared_.count.load() > 0 || admin_shared_.count.load() > 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Connections that finished a response since the last pass close themselves;
    // idle ones were closed by stop().
  }
  if (public_shared_.count.load() > 0 || admin_shared_.count.load() > 0)
    log::warn("shutdown grace elapsed with connections open",
              {{"public", public_shared_.count.load()}, {"admin", admin_shared_.count.load()}});
}

void server::stop() {
  if (iocs_.empty()) return;
  work_.clear();
  for (auto& ioc : iocs_) ioc->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  // Destroying the io_contexts destroys the handlers they still hold, and with
  // them every connection and its bridge actor. The routers stay: a reply
  // that reaches a request after this (a `?wait` ended by the actor tree's
  // shutdown) may still read its route's label.
  public_.reset();
  admin_.reset();
  iocs_.clear();
}

}  // namespace trainia::http
