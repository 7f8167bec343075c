INSERT INTO audit_log (actor, action, clerk_user_id, subject, details)
VALUES ('clerk', $1::text, $2::text, $3::text, jsonb_build_object('svix_id', $4::text))
