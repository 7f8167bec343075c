-- Clerk user sync through Svix-signed webhooks (POST /api/webhooks/clerk).
--
--   * clerk_events is the ledger of processed Svix deliveries: one row per
--     svix-id (UNIQUE), written in the same transaction as the delivery's
--     effect, so a replay — even one arriving at the same instant — finds the
--     row (or waits on the unique index for the first to commit) and has no
--     second effect. outcome: applied | stale (older than what is stored, or
--     than the user's deletion) | ignored (a type trainia does not use).
--     No payload is kept: it holds personal data.
--   * clerk_user_tombstones remembers each deleted Clerk user and the time of
--     the deletion, so a late user.created/user.updated whose updated_at is
--     not newer never revives the profile. A user who signs in again still
--     gets a fresh empty profile (that path does not consult tombstones).
--   * Both tables are for the service role only (webhooks, operators).

CREATE TABLE clerk_events (
  id             bigserial PRIMARY KEY,
  svix_id        text NOT NULL UNIQUE CHECK (char_length(svix_id) BETWEEN 1 AND 255),
  type           text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 255),
  clerk_user_id  text,
  outcome        text CHECK (outcome IS NULL OR outcome IN ('applied', 'stale', 'ignored')),
  received_at    timestamptz NOT NULL DEFAULT now(),
  processed_at   timestamptz
);

CREATE TABLE clerk_user_tombstones (
  clerk_user_id  text PRIMARY KEY CHECK (clerk_user_id <> ''),
  deleted_at     timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE clerk_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE clerk_events FORCE ROW LEVEL SECURITY;
ALTER TABLE clerk_user_tombstones ENABLE ROW LEVEL SECURITY;
ALTER TABLE clerk_user_tombstones FORCE ROW LEVEL SECURITY;

CREATE POLICY clerk_events_service ON clerk_events TO trainia_service USING (true) WITH CHECK (true);
CREATE POLICY clerk_user_tombstones_service ON clerk_user_tombstones TO trainia_service USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON clerk_events, clerk_user_tombstones TO trainia_service;
GRANT USAGE, SELECT ON SEQUENCE clerk_events_id_seq TO trainia_service;
