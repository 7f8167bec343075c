SELECT stripe_customer_id
  FROM user_profiles
 WHERE stripe_customer_id IS NOT NULL
   AND stripe_customer_id > $1
 ORDER BY stripe_customer_id
 LIMIT $2::int
