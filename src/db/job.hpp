#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/message.hpp>

#include <functional>
#include <string>

namespace trainia::db {

class tx;

/// Whose rights a job runs with. `request` switches each transaction to the
/// non-owner role `trainia_request` and sets `app.user_id`, so Row-Level
/// Security limits every statement to that user's rows; `service` switches to
/// `trainia_service` (webhooks, workers, operator commands).
enum class role : uint8_t { request, service };

struct access {
  role who = role::request;
  std::string user_id;  // Clerk user id for role::request, empty for service
};

/// Work for a pool connection: runs on the worker's own thread (never on the
/// cooperative scheduler), inside transactions opened lazily by `tx`. Returns
/// the reply message: `make_message(value)` on success, `make_message(error)`
/// on failure (which also rolls back the open transaction).
struct job {
  access who;
  std::string label;  // for logs and metrics
  std::function<caf::message(tx&)> fn;
};

/// A job's successful reply wrapped for forwarding: an actor that runs a job on
/// someone else's behalf (and must see it finish) cannot match an arbitrary
/// reply in CAF 0.17, but can match this envelope and deliver its content.
struct job_reply {
  caf::message reply;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_reply& x) {
  return f(x.reply);
}

/// Wraps `j` so that a success comes back as `job_reply` (errors stay errors,
/// so the transaction still rolls back on them).
job enveloped(job j);

}  // namespace trainia::db

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::db::job)
