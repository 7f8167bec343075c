-- Lets the statements of this transaction run with their generic plan (see
-- db::access::generic_plans); ends with the transaction.
SELECT set_config('plan_cache_mode', 'force_generic_plan', true)
