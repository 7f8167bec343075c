SELECT coalesce((SELECT u.ai_runs_used
                   FROM usage_counters u
                   JOIN user_profiles p ON p.id = u.user_id
                  WHERE p.clerk_user_id = $1
                    AND u.period_start = $2::timestamptz), 0)
