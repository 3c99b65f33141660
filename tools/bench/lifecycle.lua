-- wrk script for ITI-57 and ITI-62 requests: register.lua's counting and RESULT line, and a
-- template whose @SS@, @DE@, @HM@ are one registered submission's entryUUIDs (a line
-- "SS DE HM" of BENCH_TARGETS) and @UID@ fresh uniqueIds. Thread i of T takes lines i, i+T,
-- i+2T, ...: each submission is updated or removed once.
dofile("tools/bench/register.lua")

local template
local targets = {}
local counter = 0
local index = 0
thread_index = 0  -- global: set per thread by setup() through thread:set
thread_count = 0

local base_setup = setup
function setup(thread)
  base_setup(thread)
  index = index + 1
  thread:set("thread_index", index)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_TEMPLATE"), "rb"))
  template = f:read("*a")
  f:close()
  for line in io.lines(os.getenv("BENCH_TARGETS")) do table.insert(targets, line) end
  thread_count = tonumber(os.getenv("BENCH_THREADS"))
end

function request()
  local line = targets[counter * thread_count + thread_index] or "exhausted exhausted exhausted"
  counter = counter + 1
  local ss, de, hm = line:match("(%S+) (%S+) (%S+)")
  local n = 0
  local body = template:gsub("@SS@", ss):gsub("@DE@", de):gsub("@HM@", hm):gsub("@UID@", function()
    n = n + 1
    return string.format("2.25.%d.%d.%d.%d", thread_id, os.time(), counter, n)
  end)
  return wrk.format("POST", nil, {["Content-Type"] = "application/soap+xml; charset=UTF-8"}, body)
end
