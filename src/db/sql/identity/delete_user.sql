DELETE FROM user_profiles
 WHERE clerk_user_id = $1::text
RETURNING id
