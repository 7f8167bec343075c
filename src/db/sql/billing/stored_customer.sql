SELECT stripe_customer_id
  FROM user_profiles
 WHERE clerk_user_id = $1
