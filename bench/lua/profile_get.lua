-- a. GET /api/users/profile, cycling through the pre-minted tokens (one per user).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i
sent, wraps = 0, 0

function init(args)
  local tokens = read_lines(os.getenv("BENCH_TOKENS"))
  reqs = {}
  for k, tok in ipairs(tokens) do
    reqs[k] = wrk.format("GET", "/api/users/profile", {["Authorization"] = "Bearer " .. tok})
  end
  -- Threads start at different users.
  i = math.floor((tid - 1) * #reqs / nthreads())
end

function request()
  i = i % #reqs + 1
  sent = sent + 1
  return reqs[i]
end
