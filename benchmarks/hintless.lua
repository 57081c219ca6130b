-- wrk script of section 7 (benchmarks/hintless.py): intake.lua's pre-signed requests (loaded
-- below), plus a count of the answers by status, printed at the end as
-- `@@statuses {"200": n, ...}`: the section counts only 2xx as deliveries and fails on any 5xx.
-- (Not in intake.lua itself: a response() function makes wrk hand every answer to Lua, a cost
-- intake.lua's sections must not pay.)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "intake.lua")

function response(status, headers, body)
  statuses = statuses or {}
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
