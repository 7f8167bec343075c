INSERT INTO user_profiles (clerk_user_id)
VALUES ($1)
ON CONFLICT (clerk_user_id) DO NOTHING
