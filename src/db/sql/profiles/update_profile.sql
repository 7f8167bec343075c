UPDATE user_profiles
   SET full_name = CASE WHEN $2::boolean THEN $3::text ELSE full_name END,
       preferences = CASE WHEN $4::boolean THEN $5::jsonb ELSE preferences END
 WHERE clerk_user_id = $1
   AND ($6::text IS NULL OR profile_etag(id, row_version) = $6::text)
RETURNING id, clerk_user_id, email, full_name, preferences::text, created_at, updated_at,
          profile_etag(id, row_version)
