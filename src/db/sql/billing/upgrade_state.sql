WITH ensured AS (
  INSERT INTO user_profiles (clerk_user_id)
  VALUES ($1)
  ON CONFLICT (clerk_user_id) DO NOTHING
  RETURNING id, stripe_customer_id, email
), profile AS (
  SELECT id, stripe_customer_id, email FROM ensured
  UNION ALL
  SELECT id, stripe_customer_id, email FROM user_profiles WHERE clerk_user_id = $1
  LIMIT 1
)
SELECT p.stripe_customer_id, p.email, s.stripe_subscription_id, s.plan_name
  FROM profile p
  LEFT JOIN LATERAL (
    SELECT stripe_subscription_id, plan_name
      FROM subscriptions
     WHERE user_id = p.id
       AND status IN ('active', 'trialing')
     ORDER BY current_period_end DESC NULLS LAST, updated_at DESC
     LIMIT 1
  ) s ON true
