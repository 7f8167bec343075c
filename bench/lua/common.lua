-- Shared by the wrk scripts of bench/run. Each wrk thread gets an id (1-based)
-- and the thread count; done() prints one line "BENCHJSON {...}" that
-- bench/run parses. Latencies are reported in milliseconds.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function read_lines(path)
  local out = {}
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  for line in f:lines() do
    if #line > 0 then out[#out + 1] = line end
  end
  f:close()
  return out
end

function nthreads()
  return tonumber(os.getenv("BENCH_WRK_THREADS") or "2")
end

-- Sums a numeric global over all threads (sent counts, wraps, statuses).
local function sum(name)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (tonumber(t:get(name)) or 0)
  end
  return total
end

function done(summary, latency, requests)
  local e = summary.errors
  local ms = function(us) return us / 1000.0 end
  local extra = ""
  for _, name in ipairs({"sent", "wraps", "ok200", "ok202", "other"}) do
    extra = extra .. string.format(',"%s":%d', name, sum(name))
  end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"status_errors":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d%s}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(99)), ms(latency:percentile(99.9)),
    ms(latency.max), ms(latency.mean), e.status, e.connect, e.read, e.write, e.timeout, extra))
end
