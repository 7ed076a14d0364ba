-- wrk script for scripts/bench-ingest: every request posts one card
-- transaction for one of CUSTOMERS customers (registered beforehand with
-- `early-risk loadgen --seconds 0`), with the transaction mix of
-- `early-risk loadgen --mode single`: mostly grocery purchases, every 7th a
-- large cash withdrawal. Transaction ids are unique per run and thread.
--
-- Usage: wrk -t T -c C -d S -s scripts/wrk-single.lua URL -- CUSTOMERS PREFIX TOKEN
-- Prints one JSON line: requests, failures, duration and latency percentiles.

local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  customers = tonumber(args[1])
  prefix = args[2]
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. args[3],
  }
  n = 0
  math.randomseed(1000 + id)
end

function request()
  n = n + 1
  local seq = n * 64 + id
  local c = math.random(0, customers - 1)
  local day = 1 + c % 28
  local body
  if seq % 7 == 0 then
    body = string.format(
      '{"transaction_id":"%s-T%d","amount_minor":2000000,"currency":"INR","kind":"cash_withdrawal",'
        .. '"merchant_name":"Load Mart","channel":"atm","occurred_at":"2026-06-%02dT10:00:00Z"}',
      prefix, seq, day)
  else
    body = string.format(
      '{"transaction_id":"%s-T%d","amount_minor":%d,"currency":"INR","kind":"purchase",'
        .. '"merchant_category_code":"5411","merchant_name":"Load Mart","channel":"pos",'
        .. '"occurred_at":"2026-06-%02dT10:00:00Z"}',
      prefix, seq, 1000 + seq % 5000, day)
  end
  return wrk.format("POST", "/v1/customers/" .. prefix .. "-C" .. c .. "/transactions", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"non_2xx":%d,"socket_errors":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max))
end
