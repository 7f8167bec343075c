-- Records the end of a run by its lease holder; a process that lost the lease
-- (another one took the task over) changes nothing. $12 gives the run back.
WITH cur AS (
  SELECT id, user_id, quota_period_start, quota_refunded
    FROM ai_tasks
   WHERE id = $1::uuid
     AND lease_owner = $2
     AND status = 'running'
     FOR UPDATE
), upd AS (
  UPDATE ai_tasks a
     SET status = $3,
         result = $4::jsonb,
         error_message = $5,
         attempts = GREATEST(a.attempts, LEAST($6::integer, a.max_attempts)),
         finish_reason = $7,
         prompt_tokens = $8::integer,
         completion_tokens = $9::integer,
         total_tokens = $10::integer,
         provider_latency_ms = $11::integer,
         lease_owner = NULL,
         lease_expires_at = NULL,
         finished_at = now(),
         quota_refunded = a.quota_refunded OR ($12::boolean AND a.quota_period_start IS NOT NULL)
    FROM cur
   WHERE a.id = cur.id
  RETURNING a.id, a.status, a.input::text AS input, a.result::text AS result, a.error_message, a.attempts,
            a.created_at, a.updated_at, a.cancel_requested
), refund AS (
  UPDATE usage_counters u
     SET ai_runs_used = u.ai_runs_used - 1
    FROM cur
   WHERE $12::boolean
     AND NOT cur.quota_refunded
     AND u.user_id = cur.user_id
     AND u.period_start = cur.quota_period_start
     AND u.ai_runs_used > 0
)
SELECT id, status, input, result, error_message, attempts, created_at, updated_at, cancel_requested
  FROM upd
