#pragma once

#include "http/api_pipeline.hpp"
#include "http/admin_pipeline.hpp"
#include "http/listener.hpp"

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace trainia::http {

/// The Asio side of the process: `io_threads` io_contexts, each run by one
/// thread of its own (so no strands and no cross-thread hand-off inside Asio), the
/// public listener and the operator listener. The listeners accept on the
/// first and hand each new connection to the next io_context in turn; a
/// connection stays on its thread for its whole life.
class server {
 public:
  server(app_context& app, router api_routes, router admin_routes);
  ~server();

  /// Binds both listeners and starts the threads; returns an error text.
  std::string start();
  /// Stops accepting, lets in-flight requests finish within `grace`, closes
  /// idle keep-alive connections. Call from a non-Asio thread.
  void drain(std::chrono::milliseconds grace);
  /// Stops the io_contexts, joins their threads and destroys them with every
  /// connection; the server (its routes) may outlive the actor system.
  void stop();

  uint16_t public_port() const { return public_ ? public_->port() : 0; }
  uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }

 private:
  app_context& app_;
  io_contexts iocs_;  // emptied by stop()
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  api_pipeline api_;
  admin_pipeline admin_pipe_;
  listener_shared public_shared_;
  listener_shared admin_shared_;
  std::shared_ptr<listener> public_;
  std::shared_ptr<listener> admin_;
  std::vector<std::thread> threads_;
};

}  // namespace trainia::http
