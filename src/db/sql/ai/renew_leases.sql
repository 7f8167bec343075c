-- Extends the leases of this process's running tasks. Rows are locked in id
-- order, as ai/finish_batch locks them, so the two never deadlock.
UPDATE ai_tasks a
   SET lease_expires_at = now() + make_interval(secs => $2::integer)
  FROM (SELECT id
          FROM ai_tasks
         WHERE lease_owner = $1
           AND status = 'running'
         ORDER BY id
           FOR UPDATE) held
 WHERE a.id = held.id
RETURNING a.id, a.cancel_requested
