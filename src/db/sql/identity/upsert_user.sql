INSERT INTO user_profiles AS p (clerk_user_id, email, full_name, clerk_updated_at)
SELECT $1::text, $2::text, $3::text, 'epoch'::timestamptz + $4::bigint * interval '1 millisecond'
 WHERE NOT EXISTS (SELECT 1
                     FROM clerk_user_tombstones t
                    WHERE t.clerk_user_id = $1::text
                      AND t.deleted_at >= 'epoch'::timestamptz + $4::bigint * interval '1 millisecond')
ON CONFLICT (clerk_user_id) DO UPDATE
   SET email = EXCLUDED.email,
       full_name = EXCLUDED.full_name,
       clerk_updated_at = EXCLUDED.clerk_updated_at
 WHERE p.clerk_updated_at IS NULL OR p.clerk_updated_at <= EXCLUDED.clerk_updated_at
RETURNING p.id
