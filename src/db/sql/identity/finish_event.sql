UPDATE clerk_events
   SET outcome = $2::text, processed_at = now()
 WHERE svix_id = $1::text
