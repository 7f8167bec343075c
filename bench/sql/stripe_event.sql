-- c. What one Stripe delivery costs the database, as the server runs it:
-- 1. the ledger write (billing/store_events, one event, its own commit: the
--    server folds concurrent deliveries into one statement + commit instead);
-- 2. the apply transaction of billing/apply_event for customer.subscription.updated
--    of a linked customer with an existing subscription, in the server's round trips:
--    [BEGIN, set_context, lock_event] [lock_customer, customer_link]
--    [lock_subscription] [update_subscription] [write_audit, finish_event, COMMIT].
-- Subscriptions sub_pgb_0001…1000 of customers cus_pgb_… (not the server's).
\set u random(1, 1000)
\set n random(1, 999999999999)
\set created random(1800000000, 1900000000)
\startpipeline
BEGIN;
@session/set_context 'trainia_service' ;; '' ;; 'pgbench'
@billing/store_events ARRAY['evt_pgb_' || :client_id::text || '_' || :n::text] ;; ARRAY['customer.subscription.updated'] ;; ARRAY['{"id":"evt_pgb_' || :client_id::text || '_' || :n::text || '","object":"event","api_version":"2025-03-31.basil","created":' || :created::text || ',"livemode": false,"pending_webhooks":1,"request":{"id": null,"idempotency_key": null},"type":"customer.subscription.updated","data":{"object":{"id":"sub_pgb_' || lpad(:u::text, 4, '0') || '","object":"subscription","customer":"cus_pgb_' || lpad(:u::text, 4, '0') || '","status":"active","cancel_at_period_end": false,"collection_method":"charge_automatically","currency":"usd","created":1743499000,"items":{"object":"list","data":[{"id":"si_pgb_' || lpad(:u::text, 4, '0') || '","object":"subscription_item","quantity":1,"current_period_start":' || :created::text || ',"current_period_end":' || (:created + 2592000)::text || ',"price":{"id":"price_bench","object":"price","currency":"usd","unit_amount":9900,"recurring":{"interval":"month","interval_count":1}}}]},"metadata":{}},"previous_attributes":{"current_period_end":' || :created::text || '}}}'] ;; ARRAY[:created::bigint] ;; ARRAY['sub_pgb_' || lpad(:u::text, 4, '0')] ;; ARRAY['cus_pgb_' || lpad(:u::text, 4, '0')] ;; ARRAY[1]
COMMIT;
\endpipeline
\startpipeline
BEGIN;
@session/set_context 'trainia_service' ;; '' ;; 'pgbench'
@billing/lock_event 'evt_pgb_' || :client_id::text || '_' || :n::text ;; false
\endpipeline
\startpipeline
@billing/lock_customer 'cus_pgb_' || lpad(:u::text, 4, '0')
@billing/customer_link 'cus_pgb_' || lpad(:u::text, 4, '0')
\endpipeline
@billing/lock_subscription 'sub_pgb_' || lpad(:u::text, 4, '0')
\gset s_
@billing/update_subscription :s_id ;; 'bench' ;; 'active' ;; :created::bigint ;; (:created + 2592000)::bigint ;; false ;; :created::bigint ;; 'evt_pgb_' || :client_id::text || '_' || :n::text ;; 'price_bench' ;; 'si_pgb_' || lpad(:u::text, 4, '0') ;; false
\startpipeline
@billing/write_audit 'customer.subscription.updated' ;; 'bench_pgb_' || lpad(:u::text, 4, '0') ;; 'sub_pgb_' || lpad(:u::text, 4, '0') ;; '{"status":"active","plan":"bench","cancel_at_period_end": false,"previous_status":"active","previous_plan":"bench","event_id":"evt_pgb_' || :client_id::text || '_' || :n::text || '"}'
@billing/finish_event 'evt_pgb_' || :client_id::text || '_' || :n::text ;; 'applied' ;; NULL ;; NULL
COMMIT;
\endpipeline
