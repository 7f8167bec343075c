#pragma once

#include "actors/plan_job.hpp"
#include "ai/call_outcome.hpp"
#include "ai/messages.hpp"
#include "ai/recorder.hpp"
#include "ai/task_input.hpp"
#include "db/job.hpp"

#include <functional>
#include <optional>
#include <string>

/// The AI pipeline's database jobs. Each runs on a pool worker's thread inside
/// one transaction (db::job) and replies with the type named, or an error
/// (which rolls the transaction back).
namespace trainia::ai {

struct pipeline;

using job_fn = std::function<caf::message(db::tx&)>;

/// The plan_job of a submit, run by the user's session actor (RLS as that
/// user, serialised with their writes). In one transaction and one round
/// trip (COMMIT included): ensure the profile, find an earlier task with the same
/// Idempotency-Key (→ replay, or 409 if the request differs), reserve a run
/// in usage_counters for the plan's period (none left → 402 quota_exceeded
/// with details {plan, limit, used}), count the user's tasks in flight (≥
/// ai_max_concurrent → 429), and insert the task — claimed at once when this
/// process has a free worker (then ai_start_atom goes to the dispatcher right
/// after COMMIT), else queued (queue at ai.queue_limit → 503). The row lock
/// the reservation takes on the user's counter serialises their concurrent
/// submits across processes, so the quota and the in-flight limit hold there
/// too. Replies submit_result.
plan_job submit_job(pipeline& p, task_input in, std::optional<std::string> idempotency_key);

/// One task of the current user (RLS) → task_doc; not_found otherwise.
job_fn get_task_job(std::string task_id);

/// The current user's tasks, newest first, `limit` of them created before
/// `before_us` (microseconds since the epoch), if given → task_page.
job_fn list_tasks_job(int limit, std::optional<int64_t> before_us);

/// Cancels a task of the current user → cancel_result (not_found when they
/// have no such task). A queued task is cancelled and its run given back.
job_fn cancel_task_job(pipeline& p, std::string task_id);

// Service-role jobs of the dispatcher and its workers.

/// Claims up to `n` tasks for this process (ai/claim.sql) → claimed_batch.
/// Expired leases (and with `include_own` this process's running tasks) are
/// taken over only `with_expired`; otherwise only queued tasks.
job_fn claim_job(const pipeline& p, int n, bool include_own, bool with_expired,
                 std::optional<std::string> only_id = std::nullopt);

/// Records how several runs ended, each if this process still holds its
/// task's lease → std::vector<task_doc>, one per request in their order (empty
/// where the lease was lost: another process took the task over).
job_fn finish_batch_job(const pipeline& p, std::vector<finish_request> reqs);

/// Renews the leases of this process's running tasks → lease_batch.
job_fn renew_job(const pipeline& p);

/// NOTIFY trainia_ai_queued (every process's dispatcher polls) → bool.
job_fn announce_job();

/// Counts tasks by status → status_counts.
job_fn count_job();

/// Those of `ids` that have finished (wherever they ran) → std::vector<task_doc>.
job_fn finished_tasks_job(std::vector<std::string> ids);

}  // namespace trainia::ai
