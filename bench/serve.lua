-- wrk script of bench/serve.sh: POSTs the JSON bodies of the file $BODIES (one per line) to
-- $TARGET in turn, each thread from its own offset. With $RATE set, every connection waits a
-- random time between requests, exponentially distributed with mean CONNECTIONS / RATE, so
-- that the requests arrive as a Poisson process of about RATE per second (wrk's delay(), in
-- whole milliseconds, so short waits are rounded at random). At the end it
-- prints one JSON line: requests, seconds, requests per second, latency percentiles and errors
-- (status counts answers of 400 and above).
local counter = 0
local bodies = {}
local pause = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  counter = (thread_id or 0) * 7919
  local rate = tonumber(os.getenv("RATE") or "")
  if rate then
    pause = tonumber(os.getenv("CONNECTIONS")) / rate * 1000  -- ms between one connection's requests
  end
  math.randomseed(thread_id or 0)
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", os.getenv("TARGET"), { ["Content-Type"] = "application/json" }, body)
end

if os.getenv("RATE") then
  function delay()
    local wait = -math.log(1 - math.random()) * pause
    local whole = math.floor(wait)
    if math.random() < wait - whole then whole = whole + 1 end
    return whole
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "requests_per_second": %.1f, ' ..
    '"latency_ms": {"mean": %.3f, "p50": %.3f, "p90": %.3f, "p99": %.3f, "p99_9": %.3f, "max": %.3f}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
