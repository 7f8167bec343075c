-- d. POST /api/ai/run?wait=30 for each user in turn; counts 200 (finished in
-- time) apart from 202 (still running when the wait ended) and anything else.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i
sent, wraps, ok200, ok202, other = 0, 0, 0, 0, 0

function init(args)
  local tokens = read_lines(os.getenv("BENCH_TOKENS"))
  reqs = {}
  for k, tok in ipairs(tokens) do
    reqs[k] = wrk.format("POST", "/api/ai/run?wait=30",
                         {["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json"},
                         '{"prompt":"Reply with the word ok.","max_tokens":8}')
  end
  i = math.floor((tid - 1) * #reqs / nthreads())
end

function request()
  i = i % #reqs + 1
  sent = sent + 1
  return reqs[i]
end

function response(status, headers, body)
  if status == 200 then ok200 = ok200 + 1
  elseif status == 202 then ok202 = ok202 + 1
  else other = other + 1 end
end
