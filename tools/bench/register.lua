-- wrk script for ITI-42: every request carries fresh uniqueIds (2.25.<thread>.<n>), so
-- each is a new registration; responses that are not Success are counted as errors.
local template
local counter = 0
thread_id = 0  -- global: set per thread by setup() through thread:set
failures = 0  -- global: read by done() through thread:get

local threads = {}
local seeded = false

function setup(thread)
  if not seeded then
    -- Each wrk run must use ids no earlier run used.
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
    seeded = true
  end
  thread:set("thread_id", math.random(1, 2147483647))
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_TEMPLATE"), "rb"))
  template = f:read("*a")
  f:close()
end

function request()
  counter = counter + 1
  local n = 0
  local body = template:gsub("@UID@", function()
    n = n + 1
    return string.format("2.25.%d.%d.%d.%d", thread_id, os.time(), counter, n)
  end)
  return wrk.format("POST", nil, {["Content-Type"] = "application/soap+xml; charset=UTF-8"}, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find("ResponseStatusType:Success", 1, true) then
    failures = failures + 1
    if failures == 1 then io.stderr:write("first failure: " .. (body:match("<rs:RegistryErrorList.*") or body):sub(1, 500) .. "\n") end
  end
end

-- Registrations the registry answered with something other than Success, over all threads.
function refused()
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("failures") or 0) end
  return n
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    refused() + summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
