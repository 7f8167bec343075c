SELECT e.event_id, coalesce(e.subscription_id, e.customer_id, e.event_id) AS routing_key,
       extract(epoch FROM e.event_created)::bigint AS created, e.id
  FROM stripe_events e
 WHERE ((e.outcome IS NULL AND e.received_at <= now() - make_interval(secs => $1::int))
        OR (e.outcome = 'pending_link'
            AND EXISTS (SELECT 1 FROM user_profiles p WHERE p.stripe_customer_id = e.customer_id)))
   AND (e.event_created, e.id) > (to_timestamp($2::bigint), $3::bigint)
 ORDER BY e.event_created, e.id
 LIMIT $4::int
