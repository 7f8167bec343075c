INSERT INTO stripe_events (event_id, type, raw_payload, event_created, subscription_id, customer_id, attempts)
SELECT e.event_id, e.type, e.payload::jsonb, to_timestamp(e.created), nullif(e.sub, ''), nullif(e.cust, ''), e.copies
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::int[])
         AS e(event_id, type, payload, created, sub, cust, copies)
 ORDER BY e.event_id
ON CONFLICT (event_id) DO UPDATE SET attempts = stripe_events.attempts + EXCLUDED.attempts
RETURNING event_id, (xmax = 0) AS inserted, outcome IS NULL AS unapplied
