-- trainia initial schema: the seed's four tables with their defects mended.
--
-- Changes from the seed (see docs/data.md):
--   * user_profiles keeps `id uuid` as its key; Clerk ids are text, so they go
--     in `clerk_user_id text UNIQUE NOT NULL`; `stripe_customer_id` links billing.
--   * ai_tasks: the typo `input prompt jsonb` is one column `input jsonb`.
--   * subscriptions keep the Stripe event time they last applied.
--   * stripe_events is the webhook ledger (event_id unique, outcome, attempts).
--   * statuses are constrained with CHECK; user foreign keys cascade on delete;
--     timestamps are timestamptz kept by triggers; audit_log is new.
--   * Row-Level Security is enabled and FORCED on every table. Requests run as
--     the non-owner role trainia_request (SET LOCAL ROLE per transaction) and
--     see only rows of current_setting('app.user_id'); webhooks and workers run
--     as trainia_service, whose policies admit every row.

-- Roles are cluster-wide; tolerate a concurrent migration creating them.
DO $$
BEGIN
  BEGIN
    CREATE ROLE trainia_request NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE trainia_service NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
END
$$;

-- The connecting role must be able to SET ROLE to both.
DO $$
BEGIN
  EXECUTE format('GRANT trainia_request TO %I', current_user);
  EXECUTE format('GRANT trainia_service TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE FUNCTION trainia_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE FUNCTION trainia_touch_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  NEW.row_version := OLD.row_version + 1;
  RETURN NEW;
END
$$;

-- The entity tag of a profile representation: changes with every update and
-- differs between a deleted profile and the fresh one that replaces it.
CREATE FUNCTION profile_etag(profile_id uuid, version bigint) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT '"' || version::text || '-' || left(md5(profile_id::text), 12) || '"' $$;

CREATE TABLE user_profiles (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  clerk_user_id       text NOT NULL UNIQUE
                        CHECK (clerk_user_id <> '' AND char_length(clerk_user_id) <= 255),
  email               text CHECK (email IS NULL OR char_length(email) <= 320),
  full_name           text CHECK (full_name IS NULL OR char_length(full_name) BETWEEN 1 AND 200),
  preferences         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(preferences) = 'object'),
  stripe_customer_id  text UNIQUE,
  clerk_updated_at    timestamptz,
  row_version         bigint NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER user_profiles_touch BEFORE UPDATE ON user_profiles
  FOR EACH ROW EXECUTE FUNCTION trainia_touch_versioned();

CREATE TABLE subscriptions (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                 uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
  stripe_subscription_id  text NOT NULL UNIQUE,
  stripe_customer_id      text NOT NULL,
  plan_name               text NOT NULL,
  status                  text NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing',
                                                          'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  current_period_start    timestamptz,
  current_period_end      timestamptz,
  cancel_at_period_end    boolean NOT NULL DEFAULT false,
  last_event_created      timestamptz,
  last_event_id           text,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX subscriptions_user_id ON subscriptions (user_id);
CREATE TRIGGER subscriptions_touch BEFORE UPDATE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION trainia_touch();

CREATE TABLE ai_tasks (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
  status         text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  input          jsonb NOT NULL CHECK (jsonb_typeof(input) = 'object'),
  result         jsonb,
  error_message  text,
  attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ai_tasks_user_created ON ai_tasks (user_id, created_at DESC, id DESC);
CREATE TRIGGER ai_tasks_touch BEFORE UPDATE ON ai_tasks
  FOR EACH ROW EXECUTE FUNCTION trainia_touch();

-- The Stripe webhook ledger. outcome is NULL while an event is stored but not
-- yet applied (applied at the next start if the process dies meanwhile).
CREATE TABLE stripe_events (
  id            bigserial PRIMARY KEY,
  event_id      text NOT NULL UNIQUE,
  type          text NOT NULL,
  raw_payload   jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  processed_at  timestamptz,
  outcome       text CHECK (outcome IS NULL OR
                            outcome IN ('applied', 'duplicate', 'ignored', 'pending_link', 'failed')),
  attempts      integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  error         text
);

CREATE INDEX stripe_events_unfinished ON stripe_events (id)
  WHERE outcome IS NULL OR outcome = 'pending_link';

CREATE TABLE audit_log (
  id             bigserial PRIMARY KEY,
  occurred_at    timestamptz NOT NULL DEFAULT now(),
  actor          text NOT NULL,
  action         text NOT NULL,
  clerk_user_id  text,
  subject        text,
  details        jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_log_user ON audit_log (clerk_user_id, occurred_at);

-- Row-Level Security, forced so that the table owner is bound too.
ALTER TABLE user_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_profiles FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE ai_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_tasks FORCE ROW LEVEL SECURITY;
ALTER TABLE stripe_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_events FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY user_profiles_own ON user_profiles TO trainia_request
  USING (clerk_user_id = current_setting('app.user_id', true))
  WITH CHECK (clerk_user_id = current_setting('app.user_id', true));

CREATE POLICY subscriptions_own ON subscriptions TO trainia_request
  USING (user_id = (SELECT p.id FROM user_profiles p WHERE p.clerk_user_id = current_setting('app.user_id', true)));

CREATE POLICY ai_tasks_own ON ai_tasks TO trainia_request
  USING (user_id = (SELECT p.id FROM user_profiles p WHERE p.clerk_user_id = current_setting('app.user_id', true)))
  WITH CHECK (user_id = (SELECT p.id FROM user_profiles p WHERE p.clerk_user_id = current_setting('app.user_id', true)));

CREATE POLICY user_profiles_service ON user_profiles TO trainia_service USING (true) WITH CHECK (true);
CREATE POLICY subscriptions_service ON subscriptions TO trainia_service USING (true) WITH CHECK (true);
CREATE POLICY ai_tasks_service ON ai_tasks TO trainia_service USING (true) WITH CHECK (true);
CREATE POLICY stripe_events_service ON stripe_events TO trainia_service USING (true) WITH CHECK (true);
CREATE POLICY audit_log_service ON audit_log TO trainia_service USING (true) WITH CHECK (true);

-- Privileges: the request role reads its own data and writes only what the API
-- lets a user change; the service role does the rest.
GRANT USAGE ON SCHEMA public TO trainia_request, trainia_service;
GRANT SELECT, INSERT ON user_profiles TO trainia_request;
GRANT UPDATE (full_name, preferences) ON user_profiles TO trainia_request;
GRANT SELECT ON subscriptions TO trainia_request;
GRANT SELECT, INSERT ON ai_tasks TO trainia_request;
GRANT UPDATE (status, error_message) ON ai_tasks TO trainia_request;
GRANT SELECT, INSERT, UPDATE, DELETE ON user_profiles, subscriptions, ai_tasks, stripe_events, audit_log
  TO trainia_service;
GRANT USAGE, SELECT ON SEQUENCE stripe_events_id_seq, audit_log_id_seq TO trainia_service;

-- /readyz compares the applied schema version with the binary's, as the service role.
GRANT SELECT ON schema_migrations TO trainia_service;
