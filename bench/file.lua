-- bench/file.lua: wrk script that files reports through the JSON API.
-- usage: wrk -c N -H "Cookie: ..." -H "X-CSRF-Token: ..." -s bench/file.lua URL
-- Each request is POST /api/v1/incidents with a small, valid report; done()
-- prints one JSON line: requests, 201 answers, other answers, seconds.
local threads = {}
local n = 0

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   created = 0
   other = 0
   n = 0
end

local summaries = {
   "個人情報を含むメールを誤送信した", "USBメモリを紛失した", "不審メールの添付ファイルを開いた",
   "基幹系システムが停止した", "ウイルス対策ソフトが警告を表示した",
}
local categories = { "leak", "loss_theft", "suspicious_mail", "system_failure", "malware" }

function request()
   n = n + 1
   local k = (n % #summaries) + 1
   local body = string.format(
      '{"summary": "%s（負荷試験 %d-%d）", "discovered_at": "2026-11-24T10:00:00+09:00",' ..
      ' "category": "%s", "site": "honchosha", "section": "zeimu", "segments": ["lgwan"],' ..
      ' "description": "負荷試験で生成した報告。", "personal_data": {"involved": "no"}}',
      summaries[k], id, n, categories[k])
   -- wrk.format uses the table given instead of wrk.headers (the -H options)
   local h = {}
   for k, v in pairs(wrk.headers) do h[k] = v end
   h["Content-Type"] = "application/json"
   return wrk.format("POST", "/api/v1/incidents", h, body)
end

function response(status, headers, body)
   if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
   local c, o = 0, 0
   for _, t in ipairs(threads) do
      c = c + t:get("created")
      o = o + t:get("other")
   end
   io.write(string.format('BENCH {"requests": %d, "created": %d, "other": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f}\n',
      summary.requests, c, o, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
