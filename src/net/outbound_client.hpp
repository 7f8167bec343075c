#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainia::net {

/// One outbound HTTP/1.1 request. The same request is sent again on every
/// attempt, so a header such as `Idempotency-Key` stays identical.
struct outbound_request {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL (query string included)
  /// Sent as given (repeats allowed). Host and User-Agent are added when absent;
  /// Content-Length / Transfer-Encoding are the client's business and ignored here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};  // DNS + TCP + TLS handshake
  std::chrono::milliseconds timeout{30000};         // one whole attempt
};

struct outbound_response {
  int status = 0;  // 0: no HTTP response (see error)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in arrival order
  std::string body;
  std::string error;  // network / TLS / time-out text when status == 0
  bool timed_out = false;
  bool cancelled = false;
  int attempts = 0;
  std::chrono::milliseconds elapsed{0};  // from send() to delivery
  /// The first value of header `name` (any case), or "" if absent.
  std::string header(std::string_view name) const;
};

/// After each attempt: nullopt = done (deliver this response), else wait that
/// long and try again.
using retry_decider =
  std::function<std::optional<std::chrono::milliseconds>(const outbound_response&, int attempt)>;

struct retry_options {
  int max_attempts = 1;
  retry_decider decide;  // consulted only while attempts < max_attempts; `attempt` counts from 1
  /// Never start an attempt or sleep past it, and an attempt in flight is cut
  /// there; on reaching it the last response (or a timed_out one) is delivered.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

namespace detail {
struct call_control;
}

/// Refers to one call. Copyable; every member is thread-safe.
class call_handle {
 public:
  call_handle() = default;
  /// Abandons the attempt in flight or the back-off wait; `done` then gets
  /// cancelled=true (status 0). No effect once the call has finished.
  void cancel();
  /// True once `done` has returned.
  bool done() const;

 private:
  friend class outbound_client;
  explicit call_handle(std::shared_ptr<detail::call_control> c) : ctl_(std::move(c)) {}
  std::shared_ptr<detail::call_control> ctl_;
};

struct client_core;

/// The one outbound HTTP(S) client of the server (Stripe, the AI provider).
/// Fully asynchronous on its own io_context threads: `send` never blocks.
/// https verifies the chain (system CA store, or `ca_file`) and the host name,
/// with SNI. Idle keep-alive connections are pooled per origin; a pooled
/// connection the server closed is not reused, and one that fails before any
/// byte of the response is transparently replaced once (same attempt).
/// Never logs request bodies, header values or query strings.
class outbound_client {
 public:
  struct options {
    int threads = 1;
    size_t max_idle_per_origin = 32;
    // As the official OpenAI SDK's HTTP client (httpx: keepalive_expiry 5 s):
    // a connection idle longer is closed, so the pool follows the current
    // concurrency instead of holding the largest burst's connections.
    std::chrono::seconds idle_keepalive{5};
    std::string ca_file;  // empty: the system CA store (OpenSSL's defaults, SSL_CERT_FILE/SSL_CERT_DIR)
  };

  explicit outbound_client(options opts);
  /// Cancels everything in flight (each `done` runs with cancelled=true),
  /// closes idle connections and joins the threads. Never call it from a
  /// `done` callback.
  ~outbound_client();
  outbound_client(const outbound_client&) = delete;
  outbound_client& operator=(const outbound_client&) = delete;

  /// Thread-safe. `done` runs exactly once, on one of the client's threads
  /// (an invalid URL or method is reported there too, as status 0 + error).
  /// Exceptions thrown by `done` or by the decider are caught and logged.
  call_handle send(outbound_request req, retry_options retry, std::function<void(outbound_response)> done);

  /// Counters for tests and metrics.
  uint64_t connections_opened() const;
  uint64_t connections_reused() const;

 private:
  std::shared_ptr<client_core> core_;
};

}  // namespace trainia::net
