SELECT s.plan_name, s.current_period_start, s.current_period_end
  FROM subscriptions s
  JOIN user_profiles p ON p.id = s.user_id
 WHERE p.clerk_user_id = $1
   AND s.status IN ('active', 'trialing')
 ORDER BY s.current_period_end DESC NULLS LAST, s.updated_at DESC
 LIMIT 1
