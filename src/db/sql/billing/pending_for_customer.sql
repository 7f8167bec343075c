SELECT event_id, coalesce(subscription_id, customer_id, event_id) AS routing_key
  FROM stripe_events
 WHERE customer_id = $1
   AND outcome = 'pending_link'
 ORDER BY event_created, id
