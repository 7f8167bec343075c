SELECT t.id, t.status, t.input = $3::jsonb AS same_input
  FROM ai_tasks t
  JOIN user_profiles p ON p.id = t.user_id
 WHERE p.clerk_user_id = $1
   AND t.idempotency_key = $2
