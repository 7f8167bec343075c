-- The HTTP ceiling: the same wrk settings against nginx answering a fixed 200.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
sent, wraps = 0, 0
local req
function init(args) req = wrk.format("GET", "/ok") end
function request()
  sent = sent + 1
  return req
end
