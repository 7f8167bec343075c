SELECT id, status, input::text, result::text, error_message, attempts, created_at, updated_at, cancel_requested,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us
  FROM ai_tasks
 WHERE $2::timestamptz IS NULL OR created_at < $2::timestamptz
 ORDER BY created_at DESC, id DESC
 LIMIT $1
