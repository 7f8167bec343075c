SELECT count(*)
  FROM ai_tasks t
  JOIN user_profiles p ON p.id = t.user_id
 WHERE p.clerk_user_id = $1
   AND t.status IN ('queued', 'running')
