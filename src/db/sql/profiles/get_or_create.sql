WITH inserted AS (
  INSERT INTO user_profiles (clerk_user_id)
  VALUES ($1)
  ON CONFLICT (clerk_user_id) DO NOTHING
  RETURNING id, clerk_user_id, email, full_name, preferences, created_at, updated_at, row_version
)
SELECT id, clerk_user_id, email, full_name, preferences::text, created_at, updated_at,
       profile_etag(id, row_version)
  FROM inserted
UNION ALL
SELECT id, clerk_user_id, email, full_name, preferences::text, created_at, updated_at,
       profile_etag(id, row_version)
  FROM user_profiles
 WHERE clerk_user_id = $1
LIMIT 1
