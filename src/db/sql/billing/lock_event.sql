SELECT type, outcome, extract(epoch FROM event_created)::bigint AS created,
       CASE WHEN $2::boolean THEN raw_payload::text END AS payload
  FROM stripe_events
 WHERE event_id = $1
   FOR UPDATE
