SELECT pg_advisory_xact_lock(hashtextextended('trainia.stripe_customer:' || $1, 0))
