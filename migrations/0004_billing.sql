-- Billing: the Stripe webhook ledger and subscription state, extended for
-- ordered, exactly-once application by the billing actors (src/billing).
--
--   * stripe_events gains what the apply step orders and routes by, copied
--     from the payload once at ingest: the event's own `created` time
--     (event_created), the subscription and customer it concerns, and a
--     `note` saying why an applied event changed nothing (stale, tie lost,
--     deleted subscription, already applied). attempts counts deliveries
--     (a duplicate delivery increments it; no second effect).
--   * subscriptions gains deleted_at (set by customer.subscription.deleted:
--     such a subscription is never revived by a later event) and the price and
--     subscription item that decided its plan (the upgrade endpoint needs the
--     item id to change the price).
--   * Indexes for the start-up sweep (stored, not yet applied, in created
--     order) and for the pending_link events of one customer.

ALTER TABLE stripe_events
  ADD COLUMN event_created    timestamptz,
  ADD COLUMN subscription_id  text CHECK (subscription_id IS NULL OR char_length(subscription_id) <= 255),
  ADD COLUMN customer_id      text CHECK (customer_id IS NULL OR char_length(customer_id) <= 255),
  ADD COLUMN note             text;

UPDATE stripe_events
   SET event_created = CASE WHEN jsonb_typeof(raw_payload -> 'created') = 'number'
                            THEN to_timestamp((raw_payload ->> 'created')::double precision)
                            ELSE received_at END;

-- A row written without it (operator tooling, tests) counts as created when received.
ALTER TABLE stripe_events ALTER COLUMN event_created SET DEFAULT now(),
                          ALTER COLUMN event_created SET NOT NULL;

CREATE INDEX stripe_events_unapplied ON stripe_events (event_created, id) WHERE outcome IS NULL;
CREATE INDEX stripe_events_pending_link ON stripe_events (customer_id, event_created, id)
  WHERE outcome = 'pending_link';

ALTER TABLE subscriptions
  ADD COLUMN deleted_at       timestamptz,
  ADD COLUMN stripe_price_id  text,
  ADD COLUMN stripe_item_id   text;

CREATE INDEX subscriptions_customer ON subscriptions (stripe_customer_id);
