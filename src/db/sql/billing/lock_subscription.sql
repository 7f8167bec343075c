SELECT s.id, p.clerk_user_id, s.status, s.plan_name,
       extract(epoch FROM s.last_event_created)::bigint AS last_created, s.last_event_id,
       s.deleted_at IS NOT NULL AS deleted,
       extract(epoch FROM s.current_period_start)::bigint AS period_start,
       extract(epoch FROM s.current_period_end)::bigint AS period_end,
       s.cancel_at_period_end
  FROM subscriptions s
  JOIN user_profiles p ON p.id = s.user_id
 WHERE s.stripe_subscription_id = $1
   FOR UPDATE OF s
