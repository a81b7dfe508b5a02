-- report.lua - a wrk script for the API benchmark (bench/api.sh): sends
-- wrk's request (GET, with the headers given by -H) unchanged and prints the
-- run's figures as one JSON line starting with "WRK " for the script to
-- pick up: requests, duration, errors by kind, latency percentiles in µs.

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'WRK {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
		'"errors": {"connect": %d, "read": %d, "write": %d, ' ..
		'"status": %d, "timeout": %d}, "latency_us": {"p50": %d, ' ..
		'"p90": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency:percentile(99.9),
		latency.max, latency.mean))
end
