#pragma once

#include "config/config.hpp"
#include "core/error.hpp"
#include "db/connection.hpp"
#include "db/job.hpp"
#include "net/outbound_client.hpp"

#include <caf/expected.hpp>
#include <caf/message.hpp>

#include <functional>
#include <memory>
#include <string>

/// Blocking use of the server's building blocks for a command (reconcile):
/// never used by the server itself, whose actors must not block.
namespace trainia::billing {

/// Runs database jobs one after another on one connection, as a pool worker
/// does (same transaction handling: commit on success, roll back on an error
/// reply, a thrown exception becomes `internal`).
class job_runner {
 public:
  /// Connects to `conninfo`; one clear line in the error on failure.
  static caf::expected<std::unique_ptr<job_runner>> open(const config& cfg, const std::string& conninfo,
                                                         std::string instance_id);
  caf::message run(const db::access& who, const std::function<caf::message(db::tx&)>& fn);

  /// The reply as T, or its error.
  template <class T>
  caf::expected<T> run_as(const db::access& who, const std::function<caf::message(db::tx&)>& fn) {
    auto m = run(who, fn);
    if (m.match_elements<T>()) return std::move(m.get_mutable_as<T>(0));
    if (m.match_elements<caf::error>()) return m.get_as<caf::error>(0);
    return fail(errc::internal, "internal error", "unexpected job reply");
  }

 private:
  job_runner(std::unique_ptr<db::connection> c, std::string instance)
      : conn_(std::move(c)), instance_(std::move(instance)) {}
  std::unique_ptr<db::connection> conn_;
  std::string instance_;
};

/// Sends a request through `client` and waits for its answer (with `retry`).
net::outbound_response call_and_wait(net::outbound_client& client, net::outbound_request req, net::retry_options retry);

}  // namespace trainia::billing
