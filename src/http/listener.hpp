#pragma once

#include "http/connection.hpp"

#include <memory>

namespace trainia::http {

/// Accepts connections on one endpoint and starts an http_connection for each,
/// refusing new ones beyond `http.max_connections`.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& ioc, listener_shared& shared);
  /// Binds and listens; returns an error text on failure.
  std::string open(const std::string& host, uint16_t port);
  void run();
  /// Stops accepting and asks every connection to finish and close.
  void stop();
  uint16_t port() const { return port_; }
  int connections() const { return shared_.count.load(); }

 private:
  void accept();

  asio::io_context& ioc_;
  asio::ip::tcp::acceptor acceptor_;
  listener_shared& shared_;
  uint16_t port_ = 0;
};

}  // namespace trainia::http
