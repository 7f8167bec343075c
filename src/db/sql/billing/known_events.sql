SELECT event_id, outcome IS NULL AS unapplied
  FROM stripe_events
 WHERE event_id = ANY ($1::text[])
