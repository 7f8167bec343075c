-- Switches the user whose rows Row-Level Security lets the current
-- transaction see (app.user_id), for the next member of a group commit
-- (db::run_group): each member's statements run as its own user.
SELECT set_config('app.user_id', $1, true)
