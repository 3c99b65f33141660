-- wrk script for ITI-18 FindDocuments: patient + status + classCode list, a random
-- patient per request (BENCH-<n>, n < BENCH_PATIENTS). BENCH_TEMPLATE holds the SOAP
-- request with @PID@ in place of the patient id. Answers that are not Success count as errors.
local template
local patients
failures = 0  -- global: read by done() through thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_TEMPLATE"), "rb"))
  template = f:read("*a")
  f:close()
  patients = tonumber(os.getenv("BENCH_PATIENTS"))
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local pid = string.format("BENCH-%d^^^&amp;1.3.6.1.4.1.21367.2005.3.7&amp;ISO", math.random(0, patients - 1))
  local body = template:gsub("@PID@", pid)
  return wrk.format("POST", nil, {["Content-Type"] = "application/soap+xml; charset=UTF-8"}, body)
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
