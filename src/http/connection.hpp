#pragma once

#include "http/app_context.hpp"
#include "core/error.hpp"
#include "http/pipeline.hpp"
#include "http/types.hpp"
#include "observability/metrics.hpp"

#include <caf/actor.hpp>

#include <list>
#include <memory>
#include <mutex>
#include <optional>

namespace trainia::http {

class http_connection;

/// What a listener shares with its connections.
struct listener_shared {
  app_context& app;
  pipeline& pipe;
  obs::gauge* open_connections = nullptr;
  std::atomic<int> count{0};
  std::mutex mx;  // guards `live` (touched on connect/disconnect and shutdown only)
  // Open connections, for a graceful stop. Each removes itself when it ends:
  // a weak_ptr left behind would keep the connection's storage (one
  // allocation with its control block) after the connection closed.
  std::list<std::weak_ptr<http_connection>> live;
};

/// One client connection (Beast's advanced_server session pattern): reads one
/// request at a time, hands it to the pipeline, writes the answer, then reads
/// the next — so pipelined requests are answered in order. Every wait has a
/// bound: idle keep-alive, whole header, whole body, the request itself. All
/// of its I/O runs on its io_context's one thread; it never blocks it.
class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  http_connection(tcp_socket&& socket, listener_shared& shared);
  ~http_connection();

  void start();
  /// Its entry in `listener_shared::live` (set under `mx`), erased by the destructor.
  void track(std::list<std::weak_ptr<http_connection>>::iterator entry) { live_entry_ = entry; }
  /// Sends the answer to `ctx` (run inline when called on this connection's
  /// thread, else posted to it). Answers
  /// to a request that is no longer current are dropped.
  void deliver(std::shared_ptr<request_context> ctx, response&& res);
  /// Graceful stop: close now if idle, else after the current response.
  void stop();
  /// Extends the current request's deadline (long-polling handlers).
  void extend_deadline(std::chrono::milliseconds total);

 private:
  void wait_for_request();
  void read_header();
  void on_header(beast::error_code ec);
  void on_body(beast::error_code ec);
  void dispatch();
  void finish(response&& res);
  void on_write(beast::error_code ec, bool close);
  void refuse(errc code, std::string message);
  void close();
  /// Closes after a refusal without losing the answer: see connection.cpp.
  void linger_close();
  void linger_read(size_t drained);
  /// The current phase must end within `after` (see connection.cpp).
  void set_deadline(std::chrono::milliseconds after);
  void arm_timer();
  std::chrono::milliseconds max_timer_sleep() const;
  void on_deadline();

  using clock = steady_timer::clock_type;

  /// What the first read of an idle keep-alive connection may take at once
  /// (the whole of a typical request; the parser reads the rest).
  static constexpr size_t idle_read_size = 16 * 1024;

  tcp_socket socket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  listener_shared& shared_;
  steady_timer timer_;
  std::shared_ptr<request_context> current_;
  std::shared_ptr<response> out_;
  caf::actor bridge_;
  bool idle_ = true;
  bool closed_ = false;
  clock::time_point deadline_{};  // of the current phase
  bool timer_armed_ = false;
  uint64_t generation_ = 0;  // which wait the timer belongs to
  std::optional<std::list<std::weak_ptr<http_connection>>::iterator> live_entry_;
};

}  // namespace trainia::http
