-- $8 claims the task for this process at once (it has a free worker): the
-- task starts right after COMMIT without waiting for a poll. A concurrent
-- submit with the same Idempotency-Key that committed first wins: then no row
-- comes back and this transaction's quota reservation is undone.
WITH ins AS (
  INSERT INTO ai_tasks (user_id, status, input, model, idempotency_key, max_attempts, deadline_at,
                        quota_period_start, lease_owner, lease_expires_at, attempts, claims, started_at)
  SELECT p.id,
         CASE WHEN $8::boolean THEN 'running' ELSE 'queued' END,
         $2::jsonb, $3, $4, $5::integer, now() + make_interval(secs => $6::double precision / 1000),
         $7::timestamptz,
         CASE WHEN $8::boolean THEN $9 END,
         CASE WHEN $8::boolean THEN now() + make_interval(secs => $10::integer) END,
         CASE WHEN $8::boolean THEN 1 ELSE 0 END,
         CASE WHEN $8::boolean THEN 1 ELSE 0 END,
         CASE WHEN $8::boolean THEN now() END
    FROM user_profiles p
   WHERE p.clerk_user_id = $1
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING id, status, attempts, max_attempts, deadline_at
), undo AS (
  UPDATE usage_counters u
     SET ai_runs_used = u.ai_runs_used - 1
    FROM user_profiles p
   WHERE NOT EXISTS (SELECT 1 FROM ins)
     AND p.clerk_user_id = $1
     AND u.user_id = p.id
     AND u.period_start = $7::timestamptz
     AND u.ai_runs_used > 0
)
SELECT id, status, attempts, max_attempts,
       GREATEST(0, EXTRACT(EPOCH FROM (deadline_at - now())) * 1000)::bigint AS remaining_ms
  FROM ins
