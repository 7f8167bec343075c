-- c. POST /api/webhooks/stripe with pre-signed deliveries (file lines
-- "<Stripe-Signature>\t<body>"). Thread t of T sends lines t, t+T, …, so no id
-- is sent twice unless the file runs out ("wraps" counts that).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i
sent, wraps = 0, 0

function init(args)
  local path = os.getenv("BENCH_EVENTS")
  local n = nthreads()
  reqs = {}
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  local k = 0
  for line in f:lines() do
    if k % n == tid - 1 then
      local tab = line:find("\t", 1, true)
      reqs[#reqs + 1] = wrk.format("POST", "/api/webhooks/stripe",
                                   {["Stripe-Signature"] = line:sub(1, tab - 1),
                                    ["Content-Type"] = "application/json"}, line:sub(tab + 1))
    end
    k = k + 1
  end
  f:close()
  i = 0
end

function request()
  i = i + 1
  if i > #reqs then
    i = 1
    wraps = wraps + 1
  end
  sent = sent + 1
  return reqs[i]
end
