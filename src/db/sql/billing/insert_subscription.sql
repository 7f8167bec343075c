INSERT INTO subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_name, status,
                           current_period_start, current_period_end, cancel_at_period_end,
                           last_event_created, last_event_id, stripe_price_id, stripe_item_id, deleted_at)
VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), to_timestamp($7::bigint), $8::boolean,
        to_timestamp($9::bigint), $10, nullif($11, ''), nullif($12, ''), CASE WHEN $13::boolean THEN now() END)
ON CONFLICT (stripe_subscription_id) DO NOTHING
RETURNING id
