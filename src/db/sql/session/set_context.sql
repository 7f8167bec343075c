SELECT set_config('role', $1, true), set_config('app.user_id', $2, true), set_config('app.origin', $3, true)
