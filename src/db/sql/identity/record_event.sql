INSERT INTO clerk_events (svix_id, type, clerk_user_id, outcome, processed_at)
VALUES ($1::text, $2::text, $3::text, $4::text, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)
ON CONFLICT (svix_id) DO NOTHING
RETURNING id
