SELECT pg_advisory_xact_lock(hashtextextended('trainia.clerk_user:' || $1::text, 0))
