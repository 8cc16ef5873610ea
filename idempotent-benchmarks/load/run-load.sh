#!/usr/bin/env bash
# HTTP load run: the example service's POST /bench/idempotent (with @Idempotent) against the identical
# POST /bench/plain (without), with wrk, first with a new key per request, then with 10% duplicates.
# Builds and starts the example on its own port against a given Redis, warms both endpoints up, runs
# them in turn with the same connections and duration, prints requests/s and the ratio, and stops the
# example. Run from anywhere; settings are environment variables:
#
#   IDEMPOTENT_BENCH_REDIS_URL  the Redis to use (default redis://127.0.0.1:6379); keys get a prefix of
#                               this run and a 60 s retention, and nothing else is touched
#   PORT (18080)  CONNECTIONS (32)  THREADS (2)  DURATION (30s)  WARMUP (30s)  ROUNDS (2)
#   SKIP_BUILD=1  use the example jar already built
#
# Needs a JDK 17+, Maven and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."

redis_url=${IDEMPOTENT_BENCH_REDIS_URL:-redis://127.0.0.1:6379}
port=${PORT:-18080}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
duration=${DURATION:-30s}
warmup=${WARMUP:-30s}
rounds=${ROUNDS:-2}
script=idempotent-benchmarks/load/requests.lua
jar=idempotent-example-app/target/idempotent-example-app.jar

log() { printf '[load] %s\n' "$*" >&2; }

command -v wrk >/dev/null 2>&1 || { log "wrk is not installed (apt-get install wrk)"; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building the example"
  mvn -B -q -DskipTests package -pl idempotent-example-app -am
fi

run_id="load-$(date +%s)-$$"
app_log=$(mktemp)
log "starting the example on port $port against $redis_url (log: $app_log)"
java -jar "$jar" --server.port="$port" --spring.data.redis.url="$redis_url" \
  --idempotent.key-prefix="idempotent-$run_id:" --idempotent.retention=60s \
  --logging.level.root=WARN >"$app_log" 2>&1 &
app=$!
stop() {
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
}
trap stop EXIT

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
for _ in $(seq 1 120); do
  answers && break
  kill -0 "$app" 2>/dev/null || { log "the example exited:"; cat "$app_log" >&2; exit 1; }
  sleep 0.5
done
answers || { log "the example did not answer on port $port within 60 s"; cat "$app_log" >&2; exit 1; }

# Runs wrk on one endpoint; prints "requests/s replayed not-201 requests".
load() {
  local endpoint=$1 every=$2 time=$3 output
  output=$(RUN_ID="$run_id-$RANDOM-$endpoint-$every" DUPLICATE_EVERY="$every" \
    wrk -t"$threads" -c"$connections" -d"$time" -s "$script" "http://127.0.0.1:$port/bench/$endpoint")
  printf '%s\n' "$output" | sed 's/^/    /' >&2
  if printf '%s\n' "$output" | grep -q 'Socket errors'; then
    log "wrk saw socket errors or timeouts (over 2 s): the machine is overloaded, and the figures mean little"
  fi
  printf '%s %s %s %s\n' \
    "$(printf '%s\n' "$output" | awk '/^Requests\/sec:/ { print $2 }')" \
    "$(printf '%s\n' "$output" | awk '/^Replayed:/ { print $2 }')" \
    "$(printf '%s\n' "$output" | awk '/^Not 201:/ { print $3 }')" \
    "$(printf '%s\n' "$output" | awk '/ requests in / { print $1 }')"
}

log "warming up both endpoints for $warmup each"
load plain 0 "$warmup" >/dev/null
load idempotent 0 "$warmup" >/dev/null

results=()
failures=0
for every in 0 10; do
  keys=$([ "$every" = 0 ] && echo "unique keys" || echo "10% duplicates")
  for round in $(seq 1 "$rounds"); do
    # Odd rounds run the plain endpoint first, even rounds the idempotent one, so that a JVM still
    # warming up, or a machine that speeds up or slows down, favours neither side over two rounds.
    if [ $((round % 2)) = 1 ]; then
      log "$keys, round $round: /bench/plain then /bench/idempotent, $connections connections, $duration each"
      read -r plain_rps _ plain_failed _ < <(load plain "$every" "$duration")
      read -r idem_rps idem_replayed idem_failed idem_requests < <(load idempotent "$every" "$duration")
    else
      log "$keys, round $round: /bench/idempotent then /bench/plain, $connections connections, $duration each"
      read -r idem_rps idem_replayed idem_failed idem_requests < <(load idempotent "$every" "$duration")
      read -r plain_rps _ plain_failed _ < <(load plain "$every" "$duration")
    fi
    failures=$((failures + ${plain_failed:-1} + ${idem_failed:-1}))
    for rps in "$plain_rps" "$idem_rps"; do
      if ! awk -v rps="${rps:-0}" 'BEGIN { exit !(rps > 0) }'; then
        log "a wrk run completed no request"
        failures=$((failures + 1))
      fi
    done
    results+=("$keys|$round|$plain_rps|$idem_rps|$idem_replayed")
    # One request in ten repeats a completed call's key: about a tenth of the answers must be replays.
    if [ "$every" != 0 ] && [ $(( ${idem_replayed:-0} * 100 )) -lt $(( ${idem_requests:-0} * 8 )) ]; then
      log "only ${idem_replayed:-0} of ${idem_requests:-0} requests were replayed, not about 10%"
      failures=$((failures + 1))
    fi
  done
done

echo
echo "HTTP load: $connections connections, $threads wrk threads, $duration per endpoint and round"
printf '%-16s %5s %14s %18s %8s %10s\n' "keys" "round" "plain req/s" "idempotent req/s" "ratio" "replayed"
for result in "${results[@]}"; do
  IFS='|' read -r keys round plain idem replayed <<<"$result"
  printf '%-16s %5s %14s %18s %8s %10s\n' "$keys" "$round" "$plain" "$idem" \
    "$(awk -v a="$idem" -v b="$plain" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')" "$replayed"
done
for keys in "unique keys" "10% duplicates"; do
  printf '%s\n' "${results[@]}" | awk -F'|' -v keys="$keys" \
    '$1 == keys { plain += $3; idem += $4 }
     END {
       ratio = (plain > 0) ? idem / plain : 0
       printf "%-16s ratio %.2f (target >= 0.80: %s)\n", keys, ratio, (ratio >= 0.8) ? "met" : "MISSED"
     }'
done
if [ "$failures" -gt 0 ]; then
  log "$failures checks failed (a response not 201, a run with no request, or duplicates not replayed): see above"
  exit 1
fi
