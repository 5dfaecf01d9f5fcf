-- bench/page.lua: wrk script for one page; done() prints one JSON line with
-- the latency percentiles (ms), the number of requests and of answers that
-- were not 200.
-- usage: wrk -c 1 -t 1 -H "Cookie: ..." -s bench/page.lua URL
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   bad = 0
   badstatus = 0
end

function response(status, headers, body)
   if status ~= 200 then bad = bad + 1; badstatus = status end
end

function done(summary, latency, requests)
   local b, s = 0, 0
   for _, t in ipairs(threads) do
      b = b + t:get("bad")
      if t:get("badstatus") ~= 0 then s = t:get("badstatus") end
   end
   io.write(string.format('BENCH {"requests": %d, "bad": %d, "bad_status": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f}\n',
      summary.requests, b, s, summary.duration / 1e6, latency:percentile(50) / 1e3,
      latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3))
end
