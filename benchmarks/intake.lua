-- wrk script: send pre-signed webhook requests, one line of the data file per request
-- ("<path>\t<header name>\t<signature>\t<body>"). Thread k of n sends lines k, k+n, k+2n, ... so
-- no two requests carry the same event (make the file longer than a run can send). A third
-- argument OFFSET starts at that line, so successive runs over one file send new events.
threads = {}  -- global: hintless.lua (which loads this file) reads it in done()
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
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
