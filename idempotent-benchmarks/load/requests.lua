-- wrk script for run-load.sh: POSTs one small order per request as the demo user alice (HTTP Basic), each under a new
-- Idempotency-Key. With DUPLICATE_EVERY=10 every tenth request instead repeats the key this thread
-- sent DUPLICATE_LAG (100) requests earlier: a retry of a call that has completed by then, so it is
-- answered by a replay. Keys start with RUN_ID, so runs never share keys. Prints how many duplicates were sent,
-- how many responses were replays and how many were not 201.

local run = os.getenv("RUN_ID") or tostring(os.time())
local every = tonumber(os.getenv("DUPLICATE_EVERY") or "0")
-- Far more than the requests a thread has in flight (its share of the connections), so the first
-- call with the key has finished.
local LAG = tonumber(os.getenv("DUPLICATE_LAG") or "100")
-- With DUPLICATE_STORM=1 every duplicate repeats the key of this thread's request 2 instead: a retry
-- storm on one completed call. (wrk makes request 1 ready before it connects, and never sends it.)
-- Its duplicates start later, once the run's first calls, slow while the connections open, have
-- surely completed.
local storm = os.getenv("DUPLICATE_STORM") == "1"
local first_duplicate = storm and 10 * LAG or LAG + 1
local body = '{"sku":"book","quantity":1}'
-- alice:alice, as every request to the example logs in; its demo passwords are cheap to check.
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Basic YWxpY2U6YWxpY2U=",
}

local threads = {}
local created = 0

function setup(thread)
  thread:set("thread_id", created)
  created = created + 1
  table.insert(threads, thread)
end

local sent = 0
duplicates = 0
replayed = 0
failed = 0
last_failure = 0

function init(args)
  prefix = run .. "-" .. thread_id .. "-"
end

function request()
  sent = sent + 1
  local n = sent
  if every > 1 and n % every == 0 and n > first_duplicate then
    -- The key of request n - LAG - 1, which is never a multiple of every itself, so it was sent
    -- with its own key (n - LAG would be a duplicate's number, whose key was never sent).
    n = storm and 2 or (n - LAG - 1)
    duplicates = duplicates + 1
  end
  headers["Idempotency-Key"] = prefix .. n
  return wrk.format("POST", nil, headers, body)
end

function response(status, response_headers, response_body)
  if response_headers["Idempotent-Replayed"] then
    replayed = replayed + 1
  end
  if status ~= 201 then
    failed = failed + 1
    last_failure = status
  end
end

function done(summary, latency, requests)
  local total_duplicates, total_replayed, total_failed, status = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    total_duplicates = total_duplicates + thread:get("duplicates")
    total_replayed = total_replayed + thread:get("replayed")
    total_failed = total_failed + thread:get("failed")
    if thread:get("last_failure") ~= 0 then
      status = thread:get("last_failure")
    end
  end
  io.write(string.format("Duplicates: %d\nReplayed: %d\nNot 201: %d (the last: %d)\n", total_duplicates, total_replayed,
    total_failed, status))
end
