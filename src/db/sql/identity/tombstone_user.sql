INSERT INTO clerk_user_tombstones AS t (clerk_user_id, deleted_at)
VALUES ($1::text, 'epoch'::timestamptz + $2::bigint * interval '1 millisecond')
ON CONFLICT (clerk_user_id) DO UPDATE
   SET deleted_at = GREATEST(t.deleted_at, EXCLUDED.deleted_at),
       recorded_at = now()
