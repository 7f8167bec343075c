SELECT id, clerk_user_id
  FROM user_profiles
 WHERE stripe_customer_id = $1
