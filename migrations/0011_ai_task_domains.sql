-- The single-column rules of ai_tasks move from table CHECK constraints to
-- domains; what is allowed does not change.
--
-- Why: PostgreSQL 15 rebuilds every CHECK constraint of a table from its
-- stored text (stringToNode + planning) at each INSERT or UPDATE statement
-- on it, and ai_tasks had 19 of them (~14 KB of node text): 11% of the
-- database's CPU under the AI benchmark (perf, d at 64 connections). A
-- domain's constraints are read and planned once per connection (type
-- cache), and an UPDATE checks only the columns it assigns. The rules that
-- tie several columns together (and the status list, which the contract
-- wants as a CHECK) stay table constraints.
--
-- The columns change type without a table rewrite (each domain has no
-- constraint yet when it is applied); ALTER DOMAIN … ADD CONSTRAINT then
-- checks the existing rows with a scan.
CREATE DOMAIN nonneg_integer AS integer;
CREATE DOMAIN json_object AS jsonb;
CREATE DOMAIN ai_error_message AS text;
CREATE DOMAIN ai_model_name AS text;
CREATE DOMAIN ai_finish_reason AS text;
CREATE DOMAIN idempotency_key AS text;
CREATE DOMAIN lease_owner AS text;
CREATE DOMAIN ai_max_attempts AS integer;

-- ai_tasks_touch's WHEN reads columns whose type changes.
DROP TRIGGER ai_tasks_touch ON ai_tasks;

ALTER TABLE ai_tasks
  DROP CONSTRAINT ai_tasks_input_check,
  DROP CONSTRAINT ai_tasks_attempts_check,
  DROP CONSTRAINT ai_tasks_idempotency_key_check,
  DROP CONSTRAINT ai_tasks_model_check,
  DROP CONSTRAINT ai_tasks_max_attempts_check,
  DROP CONSTRAINT ai_tasks_claims_check,
  DROP CONSTRAINT ai_tasks_lease_owner_check,
  DROP CONSTRAINT ai_tasks_finish_reason_check,
  DROP CONSTRAINT ai_tasks_prompt_tokens_check,
  DROP CONSTRAINT ai_tasks_completion_tokens_check,
  DROP CONSTRAINT ai_tasks_total_tokens_check,
  DROP CONSTRAINT ai_tasks_provider_latency_ms_check,
  DROP CONSTRAINT ai_tasks_result_object,
  DROP CONSTRAINT ai_tasks_error_bounded,
  ALTER COLUMN input TYPE json_object,
  ALTER COLUMN result TYPE json_object,
  ALTER COLUMN error_message TYPE ai_error_message,
  ALTER COLUMN attempts TYPE nonneg_integer,
  ALTER COLUMN idempotency_key TYPE idempotency_key,
  ALTER COLUMN model TYPE ai_model_name,
  ALTER COLUMN max_attempts TYPE ai_max_attempts,
  ALTER COLUMN claims TYPE nonneg_integer,
  ALTER COLUMN lease_owner TYPE lease_owner,
  ALTER COLUMN finish_reason TYPE ai_finish_reason,
  ALTER COLUMN prompt_tokens TYPE nonneg_integer,
  ALTER COLUMN completion_tokens TYPE nonneg_integer,
  ALTER COLUMN total_tokens TYPE nonneg_integer,
  ALTER COLUMN provider_latency_ms TYPE nonneg_integer;

-- A domain's CHECK passes on NULL, as the table constraints' "x IS NULL OR …" did.
ALTER DOMAIN nonneg_integer ADD CONSTRAINT nonneg_integer_check CHECK (VALUE >= 0);
ALTER DOMAIN json_object ADD CONSTRAINT json_object_check CHECK (jsonb_typeof(VALUE) = 'object');
ALTER DOMAIN ai_error_message ADD CONSTRAINT ai_error_message_check CHECK (char_length(VALUE) <= 2000);
ALTER DOMAIN ai_model_name ADD CONSTRAINT ai_model_name_check CHECK (char_length(VALUE) <= 200);
ALTER DOMAIN ai_finish_reason ADD CONSTRAINT ai_finish_reason_check CHECK (char_length(VALUE) <= 100);
ALTER DOMAIN idempotency_key ADD CONSTRAINT idempotency_key_check CHECK (char_length(VALUE) BETWEEN 1 AND 255);
ALTER DOMAIN lease_owner ADD CONSTRAINT lease_owner_check CHECK (char_length(VALUE) BETWEEN 1 AND 200);
ALTER DOMAIN ai_max_attempts ADD CONSTRAINT ai_max_attempts_check CHECK (VALUE BETWEEN 1 AND 100);

CREATE TRIGGER ai_tasks_touch BEFORE UPDATE ON ai_tasks
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.result IS DISTINCT FROM NEW.result
        OR OLD.error_message IS DISTINCT FROM NEW.error_message
        OR OLD.attempts IS DISTINCT FROM NEW.attempts
        OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested)
  EXECUTE FUNCTION trainia_touch();
