-- One request, sent again and again, every answer checked (benchmarks/bench_wrk.py).
--
-- Environment:
--   BENCH_METHOD     GET (the URL's query is sent) or POST (the body of BENCH_BODY_FILE is sent,
--                    application/x-www-form-urlencoded, to the URL's path and query)
--   BENCH_EXPECT     a Lua pattern every answer's body must match (empty: not checked)
--   BENCH_REJECT     a Lua pattern no answer's body may match (empty: not checked)
--   BENCH_PATHS_FILE (optional) one path and query a line: thread i sends line i (wrapping)
--                    instead of the URL's; run with as many threads as connections (-tN -cN)
--                    so that each connection keeps to its own path
-- done() prints one line `WRKRESULT key=value ...` (requests, rps, latency percentiles in ms,
-- bytes per answer, wrk's socket errors, non2xx = answers outside 200-299, unexpected = 2xx
-- answers whose body fails the patterns) and, when some answer was wrong, `WRKSAMPLE status
-- body` with the first one.  Counters live in each thread's Lua state; setup() keeps the
-- threads so that done() can add them up.
local method = os.getenv("BENCH_METHOD") or "GET"
local expect = os.getenv("BENCH_EXPECT") or ""
local reject = os.getenv("BENCH_REJECT") or ""

if method == "POST" then
  local f = assert(io.open(assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE unset"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local paths_file = os.getenv("BENCH_PATHS_FILE") or ""

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  if paths_file ~= "" then
    local paths = {}
    for line in io.lines(paths_file) do
      if line ~= "" then table.insert(paths, line) end
    end
    wrk.path = paths[((thread_number - 1) % #paths) + 1]
  end
end

non2xx = 0
unexpected = 0
sample = ""

local function keep(status, body)
  if sample == "" then
    sample = status .. " " .. string.sub(body or "", 1, 300)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    keep(status, body)
  elseif (expect ~= "" and not string.find(body, expect)) or (reject ~= "" and string.find(body, reject)) then
    unexpected = unexpected + 1
    keep(status, body)
  end
end

function done(summary, latency, requests)
  local n2, bad, first = 0, 0, ""
  for _, t in ipairs(threads) do
    n2 = n2 + t:get("non2xx")
    bad = bad + t:get("unexpected")
    local s = t:get("sample")
    if first == "" and s ~= nil and s ~= "" then first = s end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRKRESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f bytes_per_req=%.1f err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d unexpected=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests > 0 and summary.bytes / summary.requests or 0,
    e.connect, e.read, e.write, e.timeout, n2, bad))
  if first ~= "" then
    io.write("WRKSAMPLE " .. (string.gsub(first, "[\r\n]+", " ")) .. "\n")
  end
end
