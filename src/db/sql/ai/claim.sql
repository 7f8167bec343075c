-- Claims up to $2 tasks for process $1: running tasks whose lease expired
-- (their process died) first, then the oldest queued ones; with $4 also the
-- running tasks this process already owns (after a restart of its
-- dispatcher); with $5 only that one task. A task out of attempts or past its
-- deadline fails instead (its run is given back: not the user's fault), and
-- one whose cancellation was requested is cancelled. Rows locked by another
-- claimer are skipped, so several processes share the queue. Expired leases
-- are looked for only with $6: the dispatcher does so at most once per poll
-- interval, not on the polls that follow each finished task, because the
-- scan walks the lease index's entries of every task that ran since the last
-- vacuum (during a burst, thousands: ~13 ms a claim instead of well under 1).
WITH expired AS (
  SELECT id
    FROM ai_tasks
   WHERE $6::boolean
     AND status = 'running'
     AND (lease_expires_at < now() OR ($4::boolean AND lease_owner = $1))
     AND ($5::uuid IS NULL OR id = $5::uuid)
   ORDER BY lease_expires_at
   LIMIT $2
     FOR UPDATE SKIP LOCKED
), queued AS (
  SELECT id
    FROM ai_tasks
   WHERE status = 'queued'
     AND $5::uuid IS NULL
   ORDER BY created_at, id
   LIMIT $2
     FOR UPDATE SKIP LOCKED
), picked AS (
  SELECT id
    FROM (SELECT id, 0 AS k FROM expired UNION ALL SELECT id, 1 AS k FROM queued) x
   ORDER BY k
   LIMIT $2
), cur AS (
  SELECT a.id, a.status AS was, a.user_id, a.quota_period_start, a.quota_refunded, a.attempts, a.max_attempts,
         a.cancel_requested AS cancel,
         NOT a.cancel_requested AND (a.attempts >= a.max_attempts OR a.deadline_at <= now()) AS give_up,
         a.attempts >= a.max_attempts AS spent
    FROM ai_tasks a
    JOIN picked USING (id)
), upd AS (
  UPDATE ai_tasks a
     SET status = CASE WHEN cur.cancel THEN 'cancelled' WHEN cur.give_up THEN 'failed' ELSE 'running' END,
         error_message = CASE
           WHEN cur.cancel THEN a.error_message
           WHEN cur.give_up AND cur.spent AND cur.was = 'running' THEN
             'the task was interrupted (its worker process stopped) and has used all ' || cur.max_attempts || ' attempts'
           WHEN cur.give_up AND cur.spent THEN 'the task has used all ' || cur.max_attempts || ' attempts'
           WHEN cur.give_up THEN 'the task''s deadline passed before it could run'
           ELSE a.error_message END,
         lease_owner = CASE WHEN cur.cancel OR cur.give_up THEN NULL ELSE $1 END,
         lease_expires_at = CASE WHEN cur.cancel OR cur.give_up THEN NULL
                                 ELSE now() + make_interval(secs => $3::integer) END,
         attempts = CASE WHEN cur.cancel OR cur.give_up THEN a.attempts ELSE a.attempts + 1 END,
         claims = a.claims + 1,
         started_at = coalesce(a.started_at, now()),
         finished_at = CASE WHEN cur.cancel OR cur.give_up THEN now() END,
         quota_refunded = a.quota_refunded OR (cur.give_up AND a.quota_period_start IS NOT NULL)
    FROM cur
   WHERE a.id = cur.id
  RETURNING a.id, a.status, cur.was, a.input::text AS input, a.model, a.attempts, a.max_attempts,
            GREATEST(0, EXTRACT(EPOCH FROM (a.deadline_at - now())) * 1000)::bigint AS remaining_ms, a.user_id
), refund AS (
  UPDATE usage_counters u
     SET ai_runs_used = GREATEST(0, u.ai_runs_used - f.n)
    FROM (SELECT user_id, quota_period_start, count(*) AS n
            FROM cur
           WHERE give_up AND NOT quota_refunded AND quota_period_start IS NOT NULL
           GROUP BY user_id, quota_period_start) f
   WHERE u.user_id = f.user_id
     AND u.period_start = f.quota_period_start
)
SELECT upd.id, upd.status, upd.was, upd.input, upd.model, upd.attempts, upd.max_attempts, upd.remaining_ms,
       p.clerk_user_id
  FROM upd
  JOIN user_profiles p ON p.id = upd.user_id
