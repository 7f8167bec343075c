INSERT INTO usage_counters AS u (user_id, period_start, period_end, ai_runs_used)
SELECT p.id, $2::timestamptz, $3::timestamptz, 1
  FROM user_profiles p
 WHERE p.clerk_user_id = $1
   AND $4::bigint >= 1
   AND NOT EXISTS (SELECT 1 FROM ai_tasks t WHERE t.user_id = p.id AND t.idempotency_key = $5)
ON CONFLICT (user_id, period_start) DO UPDATE
   SET ai_runs_used = u.ai_runs_used + 1
 WHERE u.ai_runs_used < $4::bigint
RETURNING u.ai_runs_used
