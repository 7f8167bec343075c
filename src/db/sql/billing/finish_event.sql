UPDATE stripe_events
   SET outcome = $2, processed_at = now(), error = $3, note = $4
 WHERE event_id = $1
