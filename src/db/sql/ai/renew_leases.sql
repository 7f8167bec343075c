UPDATE ai_tasks
   SET lease_expires_at = now() + make_interval(secs => $2::integer)
 WHERE lease_owner = $1
   AND status = 'running'
RETURNING id, cancel_requested
