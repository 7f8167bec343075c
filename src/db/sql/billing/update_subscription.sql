UPDATE subscriptions
   SET plan_name = $2, status = $3,
       current_period_start = to_timestamp($4::bigint), current_period_end = to_timestamp($5::bigint),
       cancel_at_period_end = $6::boolean,
       last_event_created = to_timestamp($7::bigint), last_event_id = $8,
       stripe_price_id = nullif($9, ''), stripe_item_id = nullif($10, ''),
       deleted_at = CASE WHEN $11::boolean THEN coalesce(deleted_at, now()) ELSE deleted_at END
 WHERE id = $1
