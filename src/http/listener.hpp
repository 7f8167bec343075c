#pragma once

#include "http/connection.hpp"

#include <memory>
#include <vector>

namespace trainia::http {

/// The server's io_contexts, each run by one thread.
using io_contexts = std::vector<std::unique_ptr<asio::io_context>>;

/// Accepts connections on one endpoint (on the first io_context) and starts an
/// http_connection for each on the next io_context in turn, refusing new ones
/// beyond `http.max_connections`.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(io_contexts& iocs, listener_shared& shared);
  /// Binds and listens; returns an error text on failure.
  std::string open(const std::string& host, uint16_t port);
  void run();
  /// Stops accepting and asks every connection to finish and close.
  void stop();
  uint16_t port() const { return port_; }
  int connections() const { return shared_.count.load(); }

 private:
  void accept();

  io_contexts& iocs_;
  size_t next_ = 0;  // round robin; touched only by the accepting thread
  asio::ip::tcp::acceptor acceptor_;
  listener_shared& shared_;
  uint16_t port_ = 0;
};

}  // namespace trainia::http
