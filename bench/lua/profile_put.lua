-- b. PUT /api/users/profile (auth + validation + write), cycling through the users.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i
sent, wraps = 0, 0

function init(args)
  local tokens = read_lines(os.getenv("BENCH_TOKENS"))
  reqs = {}
  for k, tok in ipairs(tokens) do
    local body = string.format('{"full_name":"Bench User %d","preferences":{"theme":"dark","thread":%d,"n":%d}}',
                               k, tid, k)
    reqs[k] = wrk.format("PUT", "/api/users/profile",
                         {["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json"}, body)
  end
  i = math.floor((tid - 1) * #reqs / nthreads())
end

function request()
  i = i % #reqs + 1
  sent = sent + 1
  return reqs[i]
end
