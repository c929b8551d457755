-- Whole consent flows, back to back, on each connection (benchmarks/bench_wrk.py).
--
-- Run with as many threads as connections (wrk -tN -cN): each thread then drives one
-- connection, and its request()/response() calls alternate, so a flow's state can live in the
-- thread's own Lua state.  A flow is:
--   1. GET  /ACCESS_TOKEN/?client_secret=..&grant_type=client_idmobile&licence=..
--        200, body has "access_token": "<token>"
--   2. POST /IDMOBILE/  number, token, mode=2, name, licence, scope=formfilling, redirect_uri
--        200, body has "status": "success" and "url": "http://host:port/operator/.../consent/<id>"
--   3. POST <that path>  decision=approve&otp=<otp>   (the operator page's form)
--        302, Location carries token=<token> and status=success
--   4. GET  /GET/?token=<token>&Licence=..&scope=formfilling   until it is no longer pending
--        (at most BENCH_MAX_POLLS polls); the final answer is 200 with "status": "success"
--        and the subscriber's "family_name"
-- A step whose answer is not the expected one counts a failure of that step and starts a new
-- flow.  Environment: BENCH_LICENCE, BENCH_SECRET, BENCH_NUMBER, BENCH_OTP, BENCH_MAX_POLLS.
-- done() prints `WRKRESULT ...` as checked.lua does, plus flows (completed and verified),
-- failures, fail_token, fail_idmobile, fail_consent, fail_poll and polls, and `WRKSAMPLE step
-- status body` with the first failure.
local licence = os.getenv("BENCH_LICENCE") or "L1"
local secret = os.getenv("BENCH_SECRET") or "bench-secret"
local number = os.getenv("BENCH_NUMBER") or "0639980001"
local otp = os.getenv("BENCH_OTP") or "123456"
local max_polls = tonumber(os.getenv("BENCH_MAX_POLLS") or "100")

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

flows = 0
failures = 0
fail_token = 0
fail_idmobile = 0
fail_consent = 0
fail_poll = 0
polls = 0
non2xx = 0
sample = ""

local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local token_path = "/ACCESS_TOKEN/?client_secret=" .. secret .. "&grant_type=client_idmobile&licence=" .. licence
local step = "token"
local token, consent_path, started = nil, nil, 0

local function restart()
  step, token, consent_path, started = "token", nil, nil, 0
end

local function fail(status, body)
  failures = failures + 1
  _G["fail_" .. step] = _G["fail_" .. step] + 1
  if sample == "" then
    sample = step .. " " .. status .. " " .. string.sub(body or "", 1, 300)
  end
  restart()
end

local function header(headers, name)
  for k, v in pairs(headers) do
    if string.lower(k) == name then return v end
  end
  return nil
end

function request()
  if step == "token" then
    return wrk.format("GET", token_path)
  elseif step == "idmobile" then
    counter = counter + 1
    local body = "number=" .. number .. "&token=" .. token .. "&mode=2&name=ACME&licence=" .. licence
      .. "&scope=formfilling&redirect_uri=https%3A%2F%2Fpartner.example%2Fcb%3Fflow%3D" .. id .. "-" .. counter
    return wrk.format("POST", "/IDMOBILE/", form, body)
  elseif step == "consent" then
    return wrk.format("POST", consent_path, form, "decision=approve&otp=" .. otp)
  else
    return wrk.format("GET", "/GET/?token=" .. token .. "&Licence=" .. licence .. "&scope=formfilling")
  end
end

function response(status, headers, body)
  if (status < 200 or status > 299) and not (step == "consent" and status == 302) then
    non2xx = non2xx + 1
  end
  if step == "token" then
    local t = status == 200 and string.match(body, '"access_token":%s*"([^"]+)"')
    if not t then return fail(status, body) end
    token, step = t, "idmobile"
  elseif step == "idmobile" then
    local path = status == 200 and string.find(body, '"status":%s*"success"')
      and string.match(body, '"url":%s*"https?://[^/"]+(/[^"]*)"')
    if not path then return fail(status, body) end
    consent_path, step = path, "consent"
  elseif step == "consent" then
    local location = header(headers, "location") or ""
    if status ~= 302 or not string.find(location, "token=" .. token, 1, true)
        or not string.find(location, "status=success", 1, true) then
      return fail(status, location)
    end
    step, started = "poll", 0
  else
    polls = polls + 1
    started = started + 1
    if status == 200 and string.find(body, '"status":%s*"pending"') and started < max_polls then
      return
    end
    if status ~= 200 or not string.find(body, '"status":%s*"success"')
        or not string.find(body, '"family_name":%s*"[^"]+"') then
      return fail(status, body)
    end
    flows = flows + 1
    restart()
  end
end

function done(summary, latency, requests)
  local sums = { flows = 0, failures = 0, fail_token = 0, fail_idmobile = 0, fail_consent = 0,
                 fail_poll = 0, polls = 0, non2xx = 0 }
  local first = ""
  for _, t in ipairs(threads) do
    for k, _ in pairs(sums) do sums[k] = sums[k] + t:get(k) end
    local s = t:get("sample")
    if first == "" and s ~= nil and s ~= "" then first = s end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRKRESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f bytes_per_req=%.1f err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d unexpected=%d flows=%d flows_per_s=%.1f failures=%d fail_token=%d fail_idmobile=%d fail_consent=%d fail_poll=%d polls=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests > 0 and summary.bytes / summary.requests or 0,
    e.connect, e.read, e.write, e.timeout, sums.non2xx, sums.failures,
    sums.flows, sums.flows / secs, sums.failures, sums.fail_token, sums.fail_idmobile,
    sums.fail_consent, sums.fail_poll, sums.polls))
  if first ~= "" then
    io.write("WRKSAMPLE " .. (string.gsub(first, "[\r\n]+", " ")) .. "\n")
  end
end
