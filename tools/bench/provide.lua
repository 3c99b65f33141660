-- wrk script for ITI-41: HEAD (with @UID@) .. a 32-byte unique prefix .. TAIL, so every
-- request registers new uniqueIds and a document no earlier request sent.
local head, tail, ctype
local counter = 0
thread_id = 0   -- global: set per thread by setup()
failures = 0    -- global: read by done()
local threads = {}
local seeded = false

function setup(thread)
  if not seeded then
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
    seeded = true
  end
  thread:set("thread_id", math.random(1, 2147483647))
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  local prefix = os.getenv("BENCH_TEMPLATE")
  head, tail, ctype = slurp(prefix .. ".head"), slurp(prefix .. ".tail"), slurp(prefix .. ".ctype")
end

function request()
  counter = counter + 1
  local n = 0
  local h = head:gsub("@UID@", function()
    n = n + 1
    return string.format("2.25.%d.%d.%d.%d", thread_id, os.time(), counter, n)
  end)
  local body = h .. string.format("%016d%016d", thread_id, counter) .. tail
  return wrk.format("POST", nil, {["Content-Type"] = ctype}, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find("ResponseStatusType:Success", 1, true) then
    failures = failures + 1
    if failures == 1 then io.stderr:write("first failure: " .. body:sub(1, 800) .. "\n") end
  end
end

function done(summary, latency, requests)
  local refused = 0
  for _, t in ipairs(threads) do refused = refused + (t:get("failures") or 0) end
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    refused + summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
