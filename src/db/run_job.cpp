#include "core/error.hpp"
#include "db/connection.hpp"
#include "db/job.hpp"
#include "db/sqlstate.hpp"
#include "db/tx.hpp"

#include <caf/make_message.hpp>

namespace trainia::db {
namespace {

bool is_error(const caf::message& m) { return m.match_elements<caf::error>(); }

/// What the caller of `j` expects for a successful `reply` (see enveloped).
caf::message delivered(const job& j, caf::message reply) {
  if (!j.envelope || is_error(reply)) return reply;
  return caf::make_message(job_reply{std::move(reply)});
}

}  // namespace

caf::message run_job(connection& c, job& j, const std::string& instance_id) {
  if (!c.healthy()) return caf::make_message(connection_lost("no connection"));
  caf::message reply;
  tx t(c, j.who, instance_id);
  try {
    reply = j.fn(t);
  } catch (const std::exception& e) {
    // A job must not take the connection's actor down with it.
    reply = caf::make_message(fail(errc::internal, "internal error", std::string("db job threw: ") + e.what()));
  }
  bool ok = !is_error(reply);
  if (auto e = t.finish(ok); e && ok) return caf::make_message(std::move(e));
  return delivered(j, std::move(reply));
}

std::vector<caf::message> run_group(connection& c, job_group& g, const std::string& instance_id) {
  static const statement& set_user = sql("session/set_user");
  auto& jobs = g.jobs;
  std::vector<std::optional<caf::message>> concluded(jobs.size());
  if (!jobs.empty() && c.healthy()) {
    tx t(c, jobs.front().who, instance_id);
    statement_batch batch;
    std::vector<size_t> first(jobs.size());
    bool added = true;
    try {
      for (size_t i = 0; i < jobs.size(); ++i) {
        if (jobs[i].who.who == role::request) batch.push_back({&set_user, {jobs[i].who.user_id}});
        first[i] = batch.size();
        jobs[i].group->add(batch, jobs[i].who);
      }
    } catch (const std::exception&) {
      added = false;
    }
    std::optional<caf::expected<std::vector<result>>> results;
    tx::before_commit early = [&](std::vector<result>& all, size_t skip) {
      // Inside the connection's read loop: nothing may escape from here.
      for (size_t i = 0; i < jobs.size(); ++i) try {
          jobs[i].group->before_commit(all, skip + first[i]);
        } catch (const std::exception&) {
        }
    };
    if (added) results = t.exec_batch(batch, true, &early);
    if (results && *results) {
      for (size_t i = 0; i < jobs.size(); ++i) {
        try {
          concluded[i] = jobs[i].group->conclude(**results, first[i]);
        } catch (const std::exception& e) {
          // Committed: running it again could do it twice, so it fails instead.
          concluded[i] = caf::make_message(
            fail(errc::internal, "internal error", std::string("db group member threw: ") + e.what()));
        }
      }
    } else {
      // Rolled back as a whole (one member's statement failed, or the
      // connection broke): nothing of the group was stored.
      t.finish(false);
      for (auto& j : jobs) j.group->abandon();
    }
  }
  std::vector<caf::message> replies;
  replies.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i)
    replies.push_back(concluded[i] ? delivered(jobs[i], std::move(*concluded[i])) : run_job(c, jobs[i], instance_id));
  return replies;
}

}  // namespace trainia::db
