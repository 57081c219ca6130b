-- wrk script: cycle through pre-signed webhook requests (one line per request:
-- "<path>\t<header name>\t<signature>\t<body>"), so every request is a distinct, valid event.
local requests = {}
local counter = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local p, h, s, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/json" }
    headers[h] = s
    requests[#requests + 1] = wrk.format("POST", p, headers, b)
  end
  file:close()
  -- each wrk thread starts at a different offset so threads do not send the same event
  counter = math.random(#requests)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end
