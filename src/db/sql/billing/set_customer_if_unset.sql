UPDATE user_profiles
   SET stripe_customer_id = $2
 WHERE clerk_user_id = $1
   AND stripe_customer_id IS NULL
RETURNING stripe_customer_id
