#pragma once

#include "http/api_pipeline.hpp"
#include "http/admin_pipeline.hpp"
#include "http/listener.hpp"

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace trainia::http {

/// The Asio side of the process: one io_context run by `io_threads` threads,
/// the public listener and the operator listener.
class server {
 public:
  server(app_context& app, router api_routes, router admin_routes);
  ~server();

  /// Binds both listeners and starts the threads; returns an error text.
  std::string start();
  /// Stops accepting, lets in-flight requests finish within `grace`, closes
  /// idle keep-alive connections. Call from a non-Asio thread.
  void drain(std::chrono::milliseconds grace);
  /// Stops the io_context, joins its threads and destroys it with every
  /// connection; the server (its routes) may outlive the actor system.
  void stop();

  uint16_t public_port() const { return public_ ? public_->port() : 0; }
  uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }

 private:
  app_context& app_;
  std::optional<asio::io_context> ioc_;  // reset by stop()
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  api_pipeline api_;
  admin_pipeline admin_pipe_;
  listener_shared public_shared_;
  listener_shared admin_shared_;
  std::shared_ptr<listener> public_;
  std::shared_ptr<listener> admin_;
  std::vector<std::thread> threads_;
};

}  // namespace trainia::http
