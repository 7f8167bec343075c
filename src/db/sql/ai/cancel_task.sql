-- A queued task is cancelled at once and its run given back (the provider was
-- never called); a running one is flagged for its owner to abandon. Returns
-- the status before, then the task as it is now (NULLs when it had finished).
WITH cur AS (
  SELECT id, status, user_id, quota_period_start, quota_refunded
    FROM ai_tasks
   WHERE id = $1::uuid
     FOR UPDATE
), upd AS (
  UPDATE ai_tasks t
     SET status = CASE WHEN cur.status = 'queued' THEN 'cancelled' ELSE t.status END,
         cancel_requested = true,
         quota_refunded = t.quota_refunded OR (cur.status = 'queued' AND cur.quota_period_start IS NOT NULL)
    FROM cur
   WHERE t.id = cur.id
     AND cur.status IN ('queued', 'running')
  RETURNING t.id, t.status, t.input::text AS input, t.result::text AS result, t.error_message, t.attempts,
            t.created_at, t.updated_at, t.cancel_requested, t.lease_owner
), refund AS (
  UPDATE usage_counters u
     SET ai_runs_used = u.ai_runs_used - 1
    FROM cur
   WHERE cur.status = 'queued'
     AND NOT cur.quota_refunded
     AND u.user_id = cur.user_id
     AND u.period_start = cur.quota_period_start
     AND u.ai_runs_used > 0
)
SELECT cur.status AS previous, upd.id, upd.status, upd.input, upd.result, upd.error_message, upd.attempts,
       upd.created_at, upd.updated_at, upd.cancel_requested, upd.lease_owner
  FROM cur
  LEFT JOIN upd ON upd.id = cur.id
