-- wrk script for bench_intake.sh: POSTs one signed issue_comment payload
-- with a unique X-GitHub-Delivery per request.
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
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. "-" .. id .. "-" .. counter
  return wrk.format()
end
