-- wrk script for ITI-43: each request retrieves one random document of the uniqueIds
-- listed (one per line) in BENCH_IDS, from repository BENCH_REPOSITORY.
local ids = {}
local template
failures = 0
local threads = {}

function setup(thread) table.insert(threads, thread) end

function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do table.insert(ids, line) end
  template = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">'
    .. '<s:Header><a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RetrieveDocumentSet</a:Action>'
    .. '<a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body>'
    .. '<xds:RetrieveDocumentSetRequest xmlns:xds="urn:ihe:iti:xds-b:2007"><xds:DocumentRequest>'
    .. '<xds:RepositoryUniqueId>' .. os.getenv("BENCH_REPOSITORY") .. '</xds:RepositoryUniqueId>'
    .. '<xds:DocumentUniqueId>@UID@</xds:DocumentUniqueId></xds:DocumentRequest>'
    .. '</xds:RetrieveDocumentSetRequest></s:Body></s:Envelope>'
  math.randomseed(os.time())
end

function request()
  local body = template:gsub("@UID@", ids[math.random(1, #ids)])
  return wrk.format("POST", nil, {["Content-Type"] = "application/soap+xml; charset=UTF-8"}, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find("ResponseStatusType:Success", 1, true) then
    failures = failures + 1
    if failures == 1 then io.stderr:write("first failure: " .. body:sub(1, 600) .. "\n") end
  end
end

function done(summary, latency, requests)
  local refused = 0
  for _, t in ipairs(threads) do refused = refused + (t:get("failures") or 0) end
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d bytes=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    refused + summary.errors.status + summary.errors.connect + summary.errors.read, summary.bytes))
end
