-- d's HTTP floors: the completion request trainia sends, straight to the fake
-- provider or through nginx proxying to it (no auth, no database, no actors).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
sent, wraps = 0, 0
local req
function init(args)
  req = wrk.format("POST", "/v1/chat/completions",
                   {["Authorization"] = "Bearer sk-bench-not-a-secret", ["Content-Type"] = "application/json"},
                   '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Reply with the word ok."}],' ..
                   '"temperature":1,"max_tokens":8}')
end
function request()
  sent = sent + 1
  return req
end
