-- Cross-process cache invalidation. Every trainia process caches a user's
-- profile and plan in that user's session actor; when a profile or a
-- subscription changes, the change is announced on channel
-- trainia_user_changed with {"user": <clerk user id>, "origin": <instance id
-- of the writer, or "">}; every process LISTENs and drops its copy (the writer
-- skips its own, which it already updated).
CREATE FUNCTION trainia_notify_user(clerk_id text) RETURNS void LANGUAGE sql AS $$
  SELECT pg_notify('trainia_user_changed',
                   json_build_object('user', clerk_id,
                                     'origin', coalesce(current_setting('app.origin', true), ''))::text)
$$;

CREATE FUNCTION trainia_profile_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM trainia_notify_user(OLD.clerk_user_id);
  ELSE
    PERFORM trainia_notify_user(NEW.clerk_user_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION trainia_subscription_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  owner uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
  clerk_id text;
BEGIN
  SELECT p.clerk_user_id INTO clerk_id FROM user_profiles p WHERE p.id = owner;
  -- During a cascading delete the profile is already gone: its own trigger announced it.
  IF clerk_id IS NOT NULL THEN
    PERFORM trainia_notify_user(clerk_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER user_profiles_notify AFTER UPDATE OR DELETE ON user_profiles
  FOR EACH ROW EXECUTE FUNCTION trainia_profile_changed();
CREATE TRIGGER subscriptions_notify AFTER INSERT OR UPDATE OR DELETE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION trainia_subscription_changed();
