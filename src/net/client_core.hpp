#pragma once

#include "net/connection_pool.hpp"
#include "net/outbound_client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace trainia::net {

class call_op;

namespace detail {

/// What a call_handle refers to: set once before the handle is returned,
/// then only the atomic changes.
struct call_control {
  std::atomic<bool> finished{false};
  std::weak_ptr<call_op> op;
};

}  // namespace detail

/// State shared by the client and its calls. Calls hold a reference to it;
/// ~outbound_client waits for every call to finish before it goes.
struct client_core {
  explicit client_core(const outbound_client::options& o);

  outbound_client::options opts;
  boost::asio::io_context ioc;  // first member: destroyed last, after everything bound to it
  boost::asio::ssl::context tls_ctx{boost::asio::ssl::context::tls_client};
  std::string tls_setup_error;  // non-empty: every https call fails with it
  connection_pool pool;
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> reused{0};

  // Calls in flight, sharded so concurrent sends rarely share a lock; the
  // destructor walks them to cancel what is still running.
  struct live_shard {
    std::mutex mx;
    std::list<std::weak_ptr<call_op>> ops;
  };
  static constexpr size_t shard_count = 8;
  std::array<live_shard, shard_count> live;
  std::atomic<uint64_t> next_id{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex stop_mx;
  std::condition_variable stop_cv;  // in_flight reached 0 / a thread exited, while stopping

  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::atomic<int> running_threads{0};
  boost::asio::strand<boost::asio::io_context::executor_type> sweep_strand{boost::asio::make_strand(ioc)};
  boost::asio::steady_timer sweep_timer{sweep_strand};

  /// Called by a call once its `done` returned.
  void call_finished(size_t shard, std::list<std::weak_ptr<call_op>>::iterator it);
};

}  // namespace trainia::net
