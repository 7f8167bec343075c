SELECT id, status, input::text, result::text, error_message, attempts, created_at, updated_at, cancel_requested
  FROM ai_tasks
 WHERE id = ANY($1::uuid[])
   AND status IN ('succeeded', 'failed', 'cancelled')
