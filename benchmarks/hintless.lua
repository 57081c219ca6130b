-- wrk script of section 7 (benchmarks/hintless.py): intake.lua's pre-signed requests, one line of
-- the data file per request ("<path>\t<header name>\t<signature>\t<body>", thread k of n sends
-- lines k, k+n, ...), plus a count of the answers by status, printed at the end as
-- `@@statuses {"200": n, ...}`: the section counts only 2xx as deliveries and fails on any 5xx.
-- (Its own file: a response() function makes wrk hand every answer to Lua, a cost intake.lua's
-- sections must not pay.)
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  statuses = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local p, h, s, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/json" }
    headers[h] = s
    requests[#requests + 1] = wrk.format("POST", p, headers, b)
  end
  file:close()
  nthreads = tonumber(args[2] or "2")
  offset = tonumber(args[3] or "0")
  counter = offset + id + 1 - nthreads
end

function request()
  counter = counter + nthreads
  if counter > #requests then
    counter = id + 1  -- wrapped: the file was too short, events repeat (and are deduplicated)
  end
  return requests[counter]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
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
end
