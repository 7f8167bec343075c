SELECT coalesce(subscription_id, customer_id, event_id) AS routing_key
  FROM stripe_events
 WHERE event_id = $1
