-- The AI job pipeline (src/ai): ai_tasks becomes a durable, leased work queue
-- shared by every trainia process.
--
--   * idempotency_key: a client's Idempotency-Key, unique per user, so a
--     retried submit returns the first task instead of charging twice.
--   * model, max_attempts, deadline_at: fixed when the task is created.
--   * lease_owner / lease_expires_at: the process (instance id) running the
--     task and until when; a task whose lease expired (its process died) is
--     claimed again by a live one with FOR UPDATE SKIP LOCKED. `attempts`
--     counts provider calls (a claim counts its first call up front, so a
--     process that dies mid-call still uses one up); `claims` counts leases.
--   * cancel_requested: set by POST /api/ai/tasks/{id}/cancel on a running
--     task; its owner sees it when it renews its lease.
--   * finish_reason, token usage and provider_latency_ms of the final call.
--   * quota_period_start: the usage_counters period the run was charged to;
--     quota_refunded: the run was given back (at most once).
ALTER TABLE ai_tasks
  ADD COLUMN idempotency_key     text CHECK (idempotency_key IS NULL OR char_length(idempotency_key) BETWEEN 1 AND 255),
  ADD COLUMN model               text NOT NULL DEFAULT '' CHECK (char_length(model) <= 200),
  ADD COLUMN max_attempts        integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 100),
  ADD COLUMN claims              integer NOT NULL DEFAULT 0 CHECK (claims >= 0),
  ADD COLUMN deadline_at         timestamptz NOT NULL DEFAULT now() + interval '10 minutes',
  ADD COLUMN lease_owner         text CHECK (lease_owner IS NULL OR char_length(lease_owner) BETWEEN 1 AND 200),
  ADD COLUMN lease_expires_at    timestamptz,
  ADD COLUMN cancel_requested    boolean NOT NULL DEFAULT false,
  ADD COLUMN started_at          timestamptz,
  ADD COLUMN finished_at         timestamptz,
  ADD COLUMN finish_reason       text CHECK (finish_reason IS NULL OR char_length(finish_reason) <= 100),
  ADD COLUMN prompt_tokens       integer CHECK (prompt_tokens IS NULL OR prompt_tokens >= 0),
  ADD COLUMN completion_tokens   integer CHECK (completion_tokens IS NULL OR completion_tokens >= 0),
  ADD COLUMN total_tokens        integer CHECK (total_tokens IS NULL OR total_tokens >= 0),
  ADD COLUMN provider_latency_ms integer CHECK (provider_latency_ms IS NULL OR provider_latency_ms >= 0),
  ADD COLUMN quota_period_start  timestamptz,
  ADD COLUMN quota_refunded      boolean NOT NULL DEFAULT false;

ALTER TABLE ai_tasks
  ADD CONSTRAINT ai_tasks_attempts_bounded CHECK (attempts <= max_attempts),
  ADD CONSTRAINT ai_tasks_running_leased CHECK (status <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
  ADD CONSTRAINT ai_tasks_lease_only_running CHECK (status = 'running' OR lease_owner IS NULL),
  ADD CONSTRAINT ai_tasks_succeeded_has_result CHECK (status <> 'succeeded' OR result IS NOT NULL),
  ADD CONSTRAINT ai_tasks_result_object CHECK (result IS NULL OR jsonb_typeof(result) = 'object'),
  ADD CONSTRAINT ai_tasks_error_bounded CHECK (error_message IS NULL OR char_length(error_message) <= 2000);

-- One task per (user, Idempotency-Key); NULL keys do not collide.
CREATE UNIQUE INDEX ai_tasks_user_idempotency ON ai_tasks (user_id, idempotency_key);
-- Claiming: the oldest queued tasks, and running tasks whose lease expired.
CREATE INDEX ai_tasks_queued ON ai_tasks (created_at, id) WHERE status = 'queued';
CREATE INDEX ai_tasks_leases ON ai_tasks (lease_expires_at) WHERE status = 'running';
CREATE INDEX ai_tasks_lease_owner ON ai_tasks (lease_owner) WHERE status = 'running';
-- The per-user in-flight limit.
CREATE INDEX ai_tasks_user_active ON ai_tasks (user_id) WHERE status IN ('queued', 'running');

-- A user may cancel their own task (RLS still limits them to their rows);
-- cancelling a queued task gives its run back.
GRANT UPDATE (cancel_requested, quota_refunded) ON ai_tasks TO trainia_request;

-- updated_at marks transitions (status, result, attempts, cancellation), not
-- the lease renewals a running task gets every few seconds.
DROP TRIGGER ai_tasks_touch ON ai_tasks;
CREATE TRIGGER ai_tasks_touch BEFORE UPDATE ON ai_tasks
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.result IS DISTINCT FROM NEW.result
        OR OLD.error_message IS DISTINCT FROM NEW.error_message
        OR OLD.attempts IS DISTINCT FROM NEW.attempts
        OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested)
  EXECUTE FUNCTION trainia_touch();
