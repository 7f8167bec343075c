-- Fewer index entries per AI task (each costs PostgreSQL CPU and WAL on
-- every insert and on every update that moves the row, i.e. the claim and
-- the finish of each task):
-- * The Idempotency-Key index covers only tasks that have a key: a task
--   without one (most) no longer gets an entry at insert and at each later
--   row version. Uniqueness is unchanged (NULL keys never conflicted), and
--   ai/insert_task's ON CONFLICT names the same predicate.
-- * ai_tasks_lease_owner goes: only the lease renewal (ai/renew_leases,
--   every ai.lease_seconds / 3) looked a process's running tasks up by
--   owner; it now reads them through ai_tasks_leases (running tasks only).
DROP INDEX ai_tasks_user_idempotency;
CREATE UNIQUE INDEX ai_tasks_user_idempotency ON ai_tasks (user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
DROP INDEX ai_tasks_lease_owner;
