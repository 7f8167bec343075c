SELECT id, stripe_subscription_id, plan_name, status, current_period_start, current_period_end,
       cancel_at_period_end
  FROM subscriptions
 WHERE stripe_subscription_id = $1
