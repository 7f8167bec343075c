-- The last statement of a submit (after ai/reserve_run in the same
-- transaction and the same round trip). It inserts the task only when
--   * this transaction reserved a run (the counter row was written by it:
--     its xmin is our transaction id),
--   * the user has fewer than $11 tasks queued or running — counted here,
--     after the reservation's row lock, so a concurrent submit of the same
--     user that committed meanwhile is seen (this statement's snapshot is
--     taken after that lock was granted), and
--   * $12 is false (this process's queue is not full, or it has a free worker).
-- $8 claims the task for this process at once (it has a free worker): the
-- task starts right after COMMIT without waiting for a poll. A concurrent
-- submit with the same Idempotency-Key that committed first wins. Whenever
-- the task is not inserted, this transaction's reservation is undone, so the
-- COMMIT that follows changes nothing but the user's profile row (ensured).
-- Always one row: whether a run was reserved, the runs used, the tasks in
-- flight, the new task's columns (NULL when none was inserted), and whether
-- the user has a profile row at all (a first submit runs ai/ensure_profile
-- and submits again: without a profile nothing was reserved or inserted).
WITH me AS (
  SELECT p.id FROM user_profiles p WHERE p.clerk_user_id = $1
), reserved AS (
  SELECT u.ai_runs_used
    FROM usage_counters u, me
   WHERE u.user_id = me.id
     AND u.period_start = $7::timestamptz
     AND u.xmin = pg_current_xact_id()::xid
), busy AS (
  SELECT count(*) AS n
    FROM ai_tasks t, me
   WHERE t.user_id = me.id
     AND t.status IN ('queued', 'running')
), ins AS (
  INSERT INTO ai_tasks (user_id, status, input, model, idempotency_key, max_attempts, deadline_at,
                        quota_period_start, lease_owner, lease_expires_at, attempts, claims, started_at)
  SELECT me.id,
         CASE WHEN $8::boolean THEN 'running' ELSE 'queued' END,
         $2::jsonb, $3, $4, $5::integer, now() + make_interval(secs => $6::double precision / 1000),
         $7::timestamptz,
         CASE WHEN $8::boolean THEN $9 END,
         CASE WHEN $8::boolean THEN now() + make_interval(secs => $10::integer) END,
         CASE WHEN $8::boolean THEN 1 ELSE 0 END,
         CASE WHEN $8::boolean THEN 1 ELSE 0 END,
         CASE WHEN $8::boolean THEN now() END
    FROM me
   WHERE EXISTS (SELECT 1 FROM reserved)
     AND (SELECT n FROM busy) < $11::bigint
     AND NOT $12::boolean
  ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, status, attempts, max_attempts, deadline_at
), undo AS (
  UPDATE usage_counters u
     SET ai_runs_used = u.ai_runs_used - 1
    FROM me
   WHERE NOT EXISTS (SELECT 1 FROM ins)
     AND EXISTS (SELECT 1 FROM reserved)
     AND u.user_id = me.id
     AND u.period_start = $7::timestamptz
     AND u.ai_runs_used > 0
)
SELECT EXISTS (SELECT 1 FROM reserved) AS reserved,
       coalesce((SELECT u.ai_runs_used FROM usage_counters u, me
                  WHERE u.user_id = me.id AND u.period_start = $7::timestamptz), 0) AS used,
       (SELECT n FROM busy) AS in_flight,
       ins.id, ins.status, ins.attempts, ins.max_attempts,
       GREATEST(0, EXTRACT(EPOCH FROM (ins.deadline_at - now())) * 1000)::bigint AS remaining_ms,
       EXISTS (SELECT 1 FROM me) AS profile
  FROM (SELECT 1) AS one
  LEFT JOIN ins ON true
