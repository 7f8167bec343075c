#pragma once

#include "auth/jwt_verifier.hpp"
#include "http/app_context.hpp"
#include "http/router.hpp"
#include "http/types.hpp"

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

namespace trainia::http {

class http_connection;

/// One request in flight. Created on the connection's thread; its handler may
/// finish it from any thread (an actor's reply arrives on a CAF thread), which
/// is why `respond` and `fail` are thread-safe and the first call wins.
class request_context : public std::enable_shared_from_this<request_context> {
 public:
  using clock = std::chrono::steady_clock;

  request_context(app_context& app, request&& req, std::string request_id, std::weak_ptr<http_connection> conn,
                  caf::actor bridge);

  app_context& app;
  request req;
  const std::string request_id;
  const route* matched = nullptr;
  std::vector<std::string> params;     // path parameters
  std::optional<auth::principal> user; // set for authenticated routes
  bool via_cookie = false;             // token came from the __session cookie
  std::string cors_origin;             // echo in Access-Control-Allow-Origin when set
  const clock::time_point started = clock::now();

  /// Sends `res` (headers common to every response are added by the connection).
  void respond(response&& res);
  /// Sends a JSON body with this status.
  void respond_json(status s, std::string body);
  /// Maps an error value to its contract response (http/error_response.hpp) and
  /// logs the internal note, if any, with this request's id.
  void fail(const caf::error& e, const std::vector<std::pair<std::string, std::string>>& extra_headers = {});
  bool answered() const { return answered_.load(std::memory_order_acquire); }
  /// Replaces this request's deadline inside the server by `total` from now
  /// (long-polling handlers such as `?wait=`). Any thread.
  void extend_deadline(std::chrono::milliseconds total);

  /// Runs `f` inside this connection's bridge actor (a CAF thread), where it
  /// may send requests to other actors and attach continuations.
  void in_actor(std::function<void(caf::event_based_actor*)> f);

  /// The route label for logs and metrics.
  std::string_view route_label() const;
  /// The value of a request header, or empty.
  std::string_view header(std::string_view name) const;
  /// The value of a query parameter (not decoded beyond %XX and '+'), if present.
  std::optional<std::string> query(std::string_view name) const;
  /// The path without the query string.
  std::string_view path() const;

 private:
  std::weak_ptr<http_connection> conn_;
  caf::actor bridge_;
  std::atomic<bool> answered_{false};
};

}  // namespace trainia::http
