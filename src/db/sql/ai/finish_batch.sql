-- Records the end of several runs at once (one statement, one commit for all
-- the workers that finished while the previous batch was being written), each
-- only by its lease holder $1: a task whose lease this process lost (another
-- one took it over) is left unchanged and does not come back. Element k of
-- the arrays describes one task; refund gives its run back (at most once).
-- Rows are locked in id order, as ai/renew_leases locks them, so the two
-- never deadlock. The rows are found by primary key only and the lease and
-- status are checked on the locked (latest) row versions: a condition on
-- status in the scan would let the planner walk the partial index of active
-- tasks, whose dead entries (every task finished since the last vacuum) make
-- that slow. The recorder runs this with its generic plan
-- (db::access::generic_plans): PostgreSQL would otherwise plan it anew at
-- every call (~0.5 ms, more than it takes to run), judging its custom plans
-- for the actual array sizes cheaper.
WITH input AS (
  SELECT *
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[], $8::integer[],
                $9::integer[], $10::integer[], $11::integer[], $12::boolean[])
      AS i(id, status, result, error_message, attempts, finish_reason, prompt_tokens, completion_tokens,
           total_tokens, provider_latency_ms, refund)
), locked AS MATERIALIZED (
  SELECT a.id, a.user_id, a.quota_period_start, a.quota_refunded, a.lease_owner, a.status
    FROM ai_tasks a
   WHERE a.id = ANY ($2::uuid[])
   ORDER BY a.id
     FOR UPDATE
), cur AS (
  SELECT id, user_id, quota_period_start, quota_refunded
    FROM locked
   WHERE lease_owner = $1
     AND status = 'running'
), upd AS (
  UPDATE ai_tasks a
     SET status = i.status,
         result = i.result::jsonb,
         error_message = i.error_message,
         attempts = GREATEST(a.attempts, LEAST(i.attempts, a.max_attempts)),
         finish_reason = i.finish_reason,
         prompt_tokens = i.prompt_tokens,
         completion_tokens = i.completion_tokens,
         total_tokens = i.total_tokens,
         provider_latency_ms = i.provider_latency_ms,
         lease_owner = NULL,
         lease_expires_at = NULL,
         finished_at = now(),
         quota_refunded = a.quota_refunded OR (i.refund AND a.quota_period_start IS NOT NULL)
    FROM cur
    JOIN input i ON i.id = cur.id
   WHERE a.id = cur.id
  RETURNING a.id, a.status, a.input::text AS input, a.result::text AS result, a.error_message, a.attempts,
            a.created_at, a.updated_at, a.cancel_requested
), refund AS (
  UPDATE usage_counters u
     SET ai_runs_used = GREATEST(0, u.ai_runs_used - f.n)
    FROM (SELECT cur.user_id, cur.quota_period_start, count(*) AS n
            FROM cur
            JOIN input i ON i.id = cur.id
           WHERE i.refund
             AND NOT cur.quota_refunded
             AND cur.quota_period_start IS NOT NULL
           GROUP BY cur.user_id, cur.quota_period_start) f
   WHERE u.user_id = f.user_id
     AND u.period_start = f.quota_period_start
)
SELECT id, status, input, result, error_message, attempts, created_at, updated_at, cancel_requested
  FROM upd
