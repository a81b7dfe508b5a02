-- answer.lua - a wrk script for the API benchmark (bench/api.sh): records
-- answers, a durable write each. Arguments (after wrk's "--"): the session
-- token, the question id, the number of wrk threads, then the call ids.
-- Thread t takes the calls t, t + threads, ... so no two threads write to
-- the same call; each thread's requests go round its calls, and each call
-- gets "yes" and "no" in turn, so every request changes the answer (and the
-- protocol decides again). Prints the figures as report.lua does.

local headers, path, mine = nil, nil, {}
local n = 0

function setup(thread)
	thread:set("thread_index", setup_count or 0)
	setup_count = (setup_count or 0) + 1
end

function init(args)
	local token, question, threads = args[1], args[2], tonumber(args[3])
	headers = {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}
	for i = 4, #args do
		if (i - 4) % threads == thread_index then
			mine[#mine + 1] = "/api/v1/calls/" .. args[i] ..
				"/answers/" .. question
		end
	end
	if #mine == 0 then
		error("answer.lua: no call for thread " .. thread_index)
	end
end

function request()
	local k = n % #mine
	local value = (math.floor(n / #mine) % 2 == 0) and "yes" or "no"
	n = n + 1
	return wrk.format("PUT", mine[k + 1], headers,
		'{"value": "' .. value .. '"}')
end

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
