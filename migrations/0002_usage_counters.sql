-- Per-user AI run usage per quota period. AI submissions reserve a run by
-- incrementing the counter of the current period in the same transaction that
-- creates the task, guarded by the plan's limit (so concurrent submits, across
-- processes, cannot exceed it); a run that fails for a reason that is not the
-- user's is given back by decrementing it. GET /api/subscriptions reads it.
CREATE TABLE usage_counters (
  user_id        uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
  period_start   timestamptz NOT NULL,
  period_end     timestamptz NOT NULL CHECK (period_end > period_start),
  ai_runs_used   integer NOT NULL DEFAULT 0 CHECK (ai_runs_used >= 0),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, period_start)
);

CREATE TRIGGER usage_counters_touch BEFORE UPDATE ON usage_counters
  FOR EACH ROW EXECUTE FUNCTION trainia_touch();

ALTER TABLE usage_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_counters FORCE ROW LEVEL SECURITY;

CREATE POLICY usage_counters_own ON usage_counters TO trainia_request
  USING (user_id = (SELECT p.id FROM user_profiles p WHERE p.clerk_user_id = current_setting('app.user_id', true)))
  WITH CHECK (user_id = (SELECT p.id FROM user_profiles p WHERE p.clerk_user_id = current_setting('app.user_id', true)));
CREATE POLICY usage_counters_service ON usage_counters TO trainia_service USING (true) WITH CHECK (true);

GRANT SELECT, INSERT ON usage_counters TO trainia_request;
GRANT UPDATE (ai_runs_used) ON usage_counters TO trainia_request;
GRANT SELECT, INSERT, UPDATE, DELETE ON usage_counters TO trainia_service;
