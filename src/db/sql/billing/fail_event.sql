UPDATE stripe_events
   SET outcome = 'failed', processed_at = now(), error = $2
 WHERE event_id = $1
   AND outcome IS NULL
