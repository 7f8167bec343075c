#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/message.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trainia::db {

class connection;
class tx;
class result;
struct statement;
class param;
using statement_batch = std::vector<std::pair<const statement*, std::vector<param>>>;

/// Whose rights a job runs with. `request` switches each transaction to the
/// non-owner role `trainia_request` and sets `app.user_id`, so Row-Level
/// Security limits every statement to that user's rows; `service` switches to
/// `trainia_service` (webhooks, workers, operator commands).
enum class role : uint8_t { request, service };

struct access {
  role who = role::request;
  std::string user_id;  // Clerk user id for role::request, empty for service
  /// The transaction's statements run with their generic plan
  /// (plan_cache_mode): for statements that PostgreSQL would otherwise plan
  /// anew at every execution although one plan suits every call.
  bool generic_plans = false;
};

/// The part of a job that can share one transaction with other queued jobs
/// of the same kind and role but of other users (group commit): when jobs
/// queue because every connection is busy, the pool hands a worker several
/// such jobs at once, and they commit together (see run_group). Under
/// `role::request` each member's statements run after `app.user_id` is set to
/// its own user, so Row-Level Security still limits each to its user's rows.
/// A member's statements must not fail for reasons of its own (a failure
/// rolls the whole group back and every member then runs alone, through
/// `job::fn`).
class group_member {
 public:
  virtual ~group_member() = default;
  /// Members of the same kind (the address of a tag) may share a transaction.
  virtual const void* kind() const = 0;
  /// Appends this job's statements, to run as `who`.
  virtual void add(statement_batch& batch, const access& who) = 0;
  /// The group's statements all succeeded and its COMMIT is under way: may
  /// start work that needs nothing durable yet (this job's results start at
  /// `results[first]`). conclude() or abandon() follows.
  virtual void before_commit(std::vector<result>& results, size_t first) {
    (void)results;
    (void)first;
  }
  /// After the group committed: reads this job's results (those of its
  /// statements start at `results[first]`) and returns the reply, or nothing
  /// when the job must run again on its own (then it must have changed
  /// nothing that its run alone would not expect).
  virtual std::optional<caf::message> conclude(std::vector<result>& results, size_t first) = 0;
  /// The group was rolled back: release whatever add() took.
  virtual void abandon() = 0;
};

/// Work for a pool connection: runs on the worker's own thread (never on the
/// cooperative scheduler), inside transactions opened lazily by `tx`. Returns
/// the reply message: `make_message(value)` on success, `make_message(error)`
/// on failure (which also rolls back the open transaction).
struct job {
  job() = default;
  job(access w, std::string l, std::function<caf::message(tx&)> f)
      : who(std::move(w)), label(std::move(l)), fn(std::move(f)) {}

  access who;
  std::string label;  // for logs and metrics
  std::function<caf::message(tx&)> fn;
  /// Set when the job may be committed together with others (group commit).
  std::shared_ptr<group_member> group;
  /// Successes are delivered as job_reply (see enveloped).
  bool envelope = false;
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

/// Marks `j` so that a success comes back as `job_reply` (errors stay errors,
/// so the transaction still rolls back on them); run_job and run_group wrap it.
job enveloped(job j);

/// Several jobs for one worker, committed together (see group_member).
struct job_group {
  std::vector<job> jobs;
};

/// The replies to a job_group, one per job in its order.
struct group_replies {
  std::vector<caf::message> replies;
};

/// Runs `j` alone on `c` (what a worker does with one job) and returns its reply.
caf::message run_job(connection& c, job& j, const std::string& instance_id);

/// Runs the jobs of `g` on `c`: their statements in one transaction and one
/// round trip, then each member's reply; members that ask for it, and all of
/// them when the group fails, run alone afterwards.
std::vector<caf::message> run_group(connection& c, job_group& g, const std::string& instance_id);

}  // namespace trainia::db

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::db::job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::db::job_group)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::db::group_replies)
