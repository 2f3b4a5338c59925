-- Shared by the wrk scripts of benchmarks/run.py: pick a request, report JSON at the end.
-- A script defines `paths` (plain strings) or `pick()` returning a path and a cookie.
math.randomseed(9)

request = function()
  local path, cookie
  if pick then
    path, cookie = pick()
  else
    path = paths[math.random(#paths)]
  end
  local headers = {}
  if cookie then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "requests_per_second": %.1f, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "p99_ms": %.2f, "errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    errors.connect + errors.read + errors.write + errors.timeout + errors.status,
    errors.status))
end
