INSERT INTO audit_log (actor, action, clerk_user_id, subject, details)
VALUES ('user', $1, $2, $3, $4::jsonb)
