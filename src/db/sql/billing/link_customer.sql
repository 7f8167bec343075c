INSERT INTO user_profiles (clerk_user_id, stripe_customer_id)
VALUES ($1, $2)
ON CONFLICT (clerk_user_id) DO UPDATE SET stripe_customer_id = EXCLUDED.stripe_customer_id
RETURNING id
