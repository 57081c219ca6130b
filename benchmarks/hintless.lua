-- wrk script of section 7 (benchmarks/hintless.py): intake.lua's pre-signed requests (loaded
-- below), plus a count of the answers by status, printed at the end as
-- `@@statuses {"200": n, ...}`: the section counts only 2xx as deliveries and fails on any 5xx;
-- and the 2xx answers per wall-clock second, `@@seconds {"<epoch second>": n, ...}`: the section
-- compares the seconds with junk flowing with the seconds between them.
-- (Not in intake.lua itself: a response() function makes wrk hand every answer to Lua, a cost
-- intake.lua's sections must not pay.)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "intake.lua")

-- intake.lua's request order (thread k of n sends lines k, k+n, ...), but each thread keeps only
-- its own lines: section 7's longer runs write files of ~200,000 requests, which every thread
-- would otherwise parse and hold whole before wrk starts sending.
function init(args)
  requests = {}
  nthreads = tonumber(args[2] or "2")
  local offset = tonumber(args[3] or "0")
  local k = 0
  for line in io.lines(args[1]) do
    if k % nthreads == id then
      local p, h, s, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { ["Content-Type"] = "application/json" }
      headers[h] = s
      requests[#requests + 1] = wrk.format("POST", p, headers, b)
    end
    k = k + 1
  end
  counter = math.floor(offset / nthreads)  -- LuaJIT (wrk) is Lua 5.1: no //
end

function request()
  counter = counter + 1
  if counter > #requests then
    counter = 1  -- wrapped: the file was too short, events repeat (and are deduplicated)
  end
  return requests[counter]
end

function response(status, headers, body)
  statuses = statuses or {}
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 then
    ok_by_second = ok_by_second or {}
    local second = os.time()
    ok_by_second[second] = (ok_by_second[second] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  io.write("@@statuses {" .. table.concat(parts, ", ") .. "}\n")
  local seconds = {}
  for _, thread in ipairs(threads) do
    for second, n in pairs(thread:get("ok_by_second") or {}) do
      seconds[second] = (seconds[second] or 0) + n
    end
  end
  parts = {}
  for second, n in pairs(seconds) do
    parts[#parts + 1] = string.format('"%d": %d', second, n)
  end
  io.write("@@seconds {" .. table.concat(parts, ", ") .. "}\n")
end
