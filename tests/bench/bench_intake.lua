-- wrk script for bench_intake.sh: POSTs one signed issue_comment payload
-- with a unique X-GitHub-Delivery per request, or, with a fourth argument N
-- (duplicates mode), cycling through one sequence of N ids on every thread
-- and connection, so the same ids race on many connections at once.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.path = "/webhooks/github"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "issue_comment"
  wrk.headers["X-Hub-Signature-256"] = args[2]
  wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
  prefix = args[3]
  cycle = tonumber(args[4] or "0")
end

function request()
  counter = counter + 1
  if cycle > 0 then
    wrk.headers["X-GitHub-Delivery"] = prefix .. "-" .. (counter % cycle)
  else
    wrk.headers["X-GitHub-Delivery"] = prefix .. "-" .. id .. "-" .. counter
  end
  return wrk.format()
end
