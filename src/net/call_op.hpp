#pragma once

#include "net/client_core.hpp"
#include "net/connection.hpp"
#include "net/outbound_client.hpp"
#include "net/url.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trainia::net {

/// One call: attempts, the back-off waits between them and its cancellation.
/// Everything after construction runs on the call's own strand; completion
/// handlers carry the generation of the I/O they belong to, so a completion
/// of abandoned I/O (time-out, cancel, stale retry) is ignored.
class call_op : public std::enable_shared_from_this<call_op> {
 public:
  using done_fn = std::function<void(outbound_response)>;

  call_op(client_core& core, outbound_request req, retry_options retry, done_fn done,
          std::shared_ptr<detail::call_control> ctl);

  /// Posts the first attempt.
  void start();
  /// Thread-safe: posts the cancellation to the call's strand.
  void cancel();

  // Where the call is listed in client_core::live (set by the client before start()).
  size_t shard = 0;
  std::list<std::weak_ptr<call_op>>::iterator live_it;

 private:
  using clock = std::chrono::steady_clock;
  enum class phase { idle, resolving, connecting, handshaking, writing, reading, backoff, finished };
  enum class timer_kind { connect, attempt, deadline, backoff };

  void begin_attempt();
  void open_connection();
  void on_resolved(uint64_t gen, const boost::system::error_code& ec,
                   const boost::asio::ip::tcp::resolver::results_type& results);
  void connect(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);
  void on_connected(uint64_t gen, const boost::system::error_code& ec);
  void on_handshake(uint64_t gen, const boost::system::error_code& ec);
  void connected();
  void send_request();
  void on_written(uint64_t gen, const boost::system::error_code& ec);
  void read_response();
  void on_read(uint64_t gen, const boost::system::error_code& ec);
  void io_failed(const char* while_doing, const boost::system::error_code& ec);
  void attempt_failed(std::string error, bool timed_out);
  void attempt_done(outbound_response r);
  void finish(outbound_response r);
  void on_cancel();

  void arm_timer(clock::time_point at, timer_kind kind);
  void on_timer(uint64_t gen, const boost::system::error_code& ec);
  void cancel_timer();
  void drop_connection();
  void abandon_io();
  std::string where() const;

  client_core& core_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::shared_ptr<detail::call_control> ctl_;
  std::optional<parsed_url> url_;
  std::string setup_error_;  // bad URL, method or header: reported as the call's result
  boost::beast::http::request<boost::beast::http::string_body> req_;
  bool head_ = false;
  std::chrono::milliseconds connect_timeout_, timeout_;
  retry_options retry_;
  done_fn done_;

  boost::asio::steady_timer timer_;
  timer_kind timer_kind_ = timer_kind::attempt;
  std::optional<boost::asio::ip::tcp::resolver> resolver_;
  std::shared_ptr<connection> conn_;
  bool reused_ = false;
  bool stale_retry_used_ = false;
  phase phase_ = phase::idle;
  uint64_t io_gen_ = 0;
  uint64_t timer_gen_ = 0;
  int attempts_ = 0;
  clock::time_point started_;
  clock::time_point attempt_deadline_;
  bool attempt_cut_by_deadline_ = false;
  std::optional<outbound_response> last_;
};

}  // namespace trainia::net
