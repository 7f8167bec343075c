-- bench/run: 1,000 server users (bench_user_NNNN) and 1,000 pgbench users
-- (bench_pgb_NNNN), each linked to a Stripe customer and holding an active
-- subscription on the bench plan, whose last applied event is older than any
-- the harness sends. Run as the superuser (bypasses RLS). :users, :base are psql variables.
INSERT INTO user_profiles (clerk_user_id, stripe_customer_id)
SELECT k || lpad(i::text, 4, '0'), c || lpad(i::text, 4, '0')
  FROM generate_series(1, :users) AS i,
       (VALUES ('bench_user_', 'cus_bench_'), ('bench_pgb_', 'cus_pgb_')) AS v(k, c);

INSERT INTO subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_name, status,
                           current_period_start, current_period_end, last_event_created, last_event_id,
                           stripe_price_id, stripe_item_id)
SELECT p.id, replace(p.stripe_customer_id, 'cus_', 'sub_'), p.stripe_customer_id, 'bench', 'active',
       to_timestamp(:base), to_timestamp(:base) + interval '30 days', to_timestamp(:base - 1), 'evt_provisioned',
       'price_bench', replace(p.stripe_customer_id, 'cus_', 'si_')
  FROM user_profiles p
 WHERE p.clerk_user_id LIKE 'bench\_%';
