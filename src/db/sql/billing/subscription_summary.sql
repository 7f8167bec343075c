SELECT s.id, s.stripe_subscription_id, s.plan_name, s.status, s.current_period_start, s.current_period_end,
       s.cancel_at_period_end,
       (SELECT u.ai_runs_used FROM usage_counters u
         WHERE u.user_id = s.user_id AND u.period_start = s.current_period_start) AS used_in_period
  FROM subscriptions s
  JOIN user_profiles p ON p.id = s.user_id
 WHERE p.clerk_user_id = $1
 ORDER BY (s.status IN ('active', 'trialing')) DESC,
          CASE WHEN s.status IN ('active', 'trialing') THEN s.current_period_end END DESC NULLS LAST,
          s.last_event_created DESC NULLS LAST, s.updated_at DESC
 LIMIT 1
