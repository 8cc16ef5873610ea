#!/usr/bin/env bash
# HTTP load run: three endpoints of each example service (servlet, then WebFlux) that do the same
# trivial work, side by side:
#   plain       POST /bench/plain, no idempotency
#   floor       POST /bench/floor, idempotency by hand with the fewest Redis round trips
#               (SET NX PX, then SET PX; SET NX then GET for a duplicate)
#   idempotent  POST /bench/idempotent, @Idempotent
# (on the WebFlux example the three return a Mono, and the floor uses the reactive template) with wrk, for each
# mix of keys (KEY_MODES: a new key per request, then 10% duplicates), at each connection count.
# Builds and starts the example on its own port against a given Redis, warms the endpoints up, runs
# them in turn (the order reversed every other round), and prints for each run requests/s, p50 and p99
# latency, the example's CPU and Redis's CPU per request (from the processes' own counters), and the
# Redis commands per request, then the ratios against the floor. Run from anywhere; settings are
# environment variables:
#
#   IDEMPOTENT_BENCH_REDIS_URL  the Redis to use (default redis://127.0.0.1:6379, a password as
#                               redis://:secret@host:port); keys get a prefix of this run and a 60 s
#                               retention, and nothing else is touched
#   CONNECTIONS ("32 1")  THREADS (2)  DURATION (30s)  WARMUP (60s)  ROUNDS (2)  PORT (18080)
#   EXAMPLES ("servlet webflux")  which example services to run, one after the other; servlet-near-cache
#                               and webflux-near-cache run them with idempotent.redis.near-cache.enabled
#   KEY_MODES ("unique 10%-duplicates")  the mixes of keys: unique (a new key per request),
#                               10%-duplicates (every tenth request retries a call that completed 100
#                               requests earlier), storm (every second request retries an early call
#                               of its wrk thread, from its thousandth request on: a retry storm on one
#                               completed key)
#   APP_ARGS  more arguments for the example services, e.g.
#                               "--idempotent.store.observations=true" (time each store round trip too)
#   SKIP_BUILD=1  use the example jars already built
#
# Needs a JDK 17+, Maven and wrk (apt-get install wrk). CPU per request needs Linux's /proc; Redis's CPU
# is the whole server's, so give the run a Redis nothing else uses.
set -euo pipefail
cd "$(dirname "$0")/../.."

redis_url=${IDEMPOTENT_BENCH_REDIS_URL:-redis://127.0.0.1:6379}
port=${PORT:-18080}
connection_counts=${CONNECTIONS:-32 1}
threads=${THREADS:-2}
duration=${DURATION:-30s}
# Per endpoint. On two cores shared with wrk and Redis, a fresh JVM takes over a minute of load to
# compile the annotated path; a shorter warm-up measures the JIT, not the code.
warmup=${WARMUP:-60s}
rounds=${ROUNDS:-2}
script=idempotent-benchmarks/load/requests.lua
examples=${EXAMPLES:-servlet webflux}
key_modes=${KEY_MODES:-unique 10%-duplicates}
endpoints=(plain floor idempotent)

log() { printf '[load] %s\n' "$*" >&2; }

command -v wrk >/dev/null 2>&1 || { log "wrk is not installed (apt-get install wrk)"; exit 1; }

# redis://[[user]:password@]host[:port][/db]
redis_address=${redis_url#redis://}
redis_password=""
if [[ $redis_address == *@* ]]; then
  redis_password=${redis_address%%@*}
  redis_password=${redis_password#*:}
  redis_address=${redis_address#*@}
fi
redis_address=${redis_address%%/*}
redis_host=${redis_address%%:*}
redis_port=${redis_address##*:}
[ "$redis_port" = "$redis_address" ] && redis_port=6379

# Prints Redis's "CPU-seconds commands command-microseconds" so far, from INFO.
redis_counters() {
  local reply
  reply=$(
    exec 3<>"/dev/tcp/$redis_host/$redis_port" || exit 1
    {
      [ -n "$redis_password" ] && printf 'AUTH %s\r\n' "$redis_password"
      printf 'INFO cpu\r\nINFO commandstats\r\nQUIT\r\n'
    } >&3
    cat <&3
  ) || { log "cannot read INFO from Redis at $redis_host:$redis_port"; exit 1; }
  printf '%s\n' "$reply" | awk -F'[:,=]' '
    /^used_cpu_(sys|user):/ { cpu += $2 }
    /^cmdstat_/ { calls += $3; usec += $5 }
    END { printf "%.6f %d %d\n", cpu, calls, usec }'
}

# The jar of an example service.
jar_of() {
  case ${1%-near-cache} in
    servlet) echo idempotent-example-app/target/idempotent-example-app.jar ;;
    webflux) echo idempotent-example-webflux/target/idempotent-example-webflux.jar ;;
    *) log "no such example: $1 (servlet, webflux, servlet-near-cache or webflux-near-cache)"; exit 1 ;;
  esac
}
for example in $examples; do jar_of "$example" >/dev/null; done
# Prints DUPLICATE_EVERY and DUPLICATE_STORM of a mix of keys.
mode_settings() {
  case $1 in
    unique) echo "0 0" ;;
    10%-duplicates) echo "10 0" ;;
    storm) echo "2 1" ;;
    *) log "no such key mode: $1 (unique, 10%-duplicates or storm)"; exit 1 ;;
  esac
}
for mode in $key_modes; do mode_settings "$mode" >/dev/null; done

clock_ticks=$(getconf CLK_TCK 2>/dev/null || echo 100)
# Prints the user and system CPU ticks of one line of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat
# (the fields after the name in brackets, which may hold spaces).
cpu_ticks() {
  local fields
  read -r -a fields <<<"${1##*) }"
  echo $(( fields[11] + fields[12] ))
}

# Prints the example's CPU time so far in microseconds, or -1 where /proc is missing.
app_cpu() {
  local line
  if [ -r "/proc/$app/stat" ]; then
    read -r line <"/proc/$app/stat"
    echo $(( $(cpu_ticks "$line") * 1000000 / clock_ticks ))
  else
    echo -1
  fi
}

# Prints the CPU time the example's JIT compiler threads have used so far in microseconds, or -1 where
# /proc is missing: a JVM whose compiler is still busy is still warming up.
jit_cpu() {
  local task line name total=0
  [ -r "/proc/$app/stat" ] || { echo -1; return; }
  for task in /proc/"$app"/task/*/stat; do
    { read -r line <"$task"; } 2>/dev/null || continue
    name=${line#*(}
    name=${name%%)*}
    [[ $name == C[12]\ CompilerThre* ]] || continue
    total=$(( total + $(cpu_ticks "$line") ))
  done
  echo $(( total * 1000000 / clock_ticks ))
}

redis_counters >/dev/null
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building the examples"
  mvn -B -q -DskipTests package -pl idempotent-example-app,idempotent-example-webflux -am
fi

run_id="load-$(date +%s)-$$"
app=""
stop() {
  if [ -n "$app" ]; then
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    app=""
  fi
}
trap stop EXIT

# Sends one request to an endpoint, as the load does, and succeeds on its 201.
answers() {
  local endpoint=$1 body='{"sku":"book","quantity":1}' status
  status=$(
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'POST /bench/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWxpY2U6YWxpY2U=\r\n' "$endpoint" >&3
    printf 'Content-Type: application/json\r\nIdempotency-Key: ready-%s-%s\r\n' "$run_id" "$RANDOM$RANDOM" >&3
    printf 'Content-Length: %d\r\nConnection: close\r\n\r\n%s' "${#body}" "$body" >&3
    timeout 60 head -n 1 <&3
  ) 2>/dev/null || return 1
  [[ $status == "HTTP/1.1 201"* ]]
}
# Starts one example service on the port, against the Redis, and waits until each endpoint has answered
# a request: a fresh JVM's first requests can take longer than a short run lasts.
start() {
  local example=$1 app_log near_cache=false
  app_log=$(mktemp)
  [ "$example" != "${example%-near-cache}" ] && near_cache=true
  log "starting the $example example on port $port against $redis_host:$redis_port (log: $app_log)"
  java -jar "$(jar_of "$example")" --server.port="$port" --spring.data.redis.url="$redis_url" \
    --idempotent.key-prefix="idempotent-$run_id-$example:" --idempotent.retention=60s \
    --idempotent.redis.near-cache.enabled="$near_cache" --logging.level.root=WARN ${APP_ARGS:-} >"$app_log" 2>&1 &
  app=$!
  local endpoint
  for endpoint in "${endpoints[@]}"; do
    for _ in $(seq 1 360); do
      answers "$endpoint" 2>/dev/null && continue 2
      kill -0 "$app" 2>/dev/null || { log "the $example example exited:"; cat "$app_log" >&2; exit 1; }
      sleep 0.5
    done
    log "the $example example did not answer POST /bench/$endpoint with 201 within 180 s"; cat "$app_log" >&2
    exit 1
  done
}

# Runs wrk on one endpoint; prints "requests/s p50-ms p99-ms duplicates-sent replayed not-201
# app-µs/request redis-µs/request redis-commands/request redis-command-µs/request", and warns when the
# JIT compiler took a twentieth of the example's CPU or more (but for a fifth argument, warm-up).
load() {
  local endpoint=$1 mode=$2 connections=$3 time=$4 phase=${5:-measured} output app_before app_after jit_before
  local jit_after jit_share=0 every storm
  local wrk_threads=$(( threads < connections ? threads : connections ))
  local redis_before redis_after
  read -r every storm < <(mode_settings "$mode")
  redis_before=$(redis_counters)
  app_before=$(app_cpu)
  jit_before=$(jit_cpu)
  output=$(RUN_ID="$run_id-$RANDOM-$endpoint-$every-$connections" DUPLICATE_EVERY="$every" DUPLICATE_STORM="$storm" \
    wrk -t"$wrk_threads" -c"$connections" -d"$time" --latency -s "$script" "http://127.0.0.1:$port/bench/$endpoint")
  app_after=$(app_cpu)
  jit_after=$(jit_cpu)
  redis_after=$(redis_counters)
  printf '%s\n' "$output" | sed 's/^/    /' >&2
  if [ "$app_before" -ge 0 ] && [ "$jit_before" -ge 0 ] && [ "$app_after" -gt "$app_before" ]; then
    jit_share=$(( (jit_after - jit_before) * 100 / (app_after - app_before) ))
  fi
  if [ "$phase" != warm-up ] && [ "$jit_share" -ge 5 ]; then
    log "the JIT compiler took $jit_share% of the example's CPU during this run: the JVM is still warming up" \
      "(a longer WARMUP gives steadier figures)"
  fi
  if printf '%s\n' "$output" | grep -q 'Socket errors'; then
    log "wrk saw socket errors or timeouts (over 2 s): the machine is overloaded, and the figures mean little"
  fi
  printf '%s\n' "$output" | awk -v app_before="$app_before" -v app_after="$app_after" \
    -v redis_before="$redis_before" -v redis_after="$redis_after" '
    function ms(value) {
      if (value ~ /us$/) return value / 1000
      if (value ~ /ms$/) return value + 0
      if (value ~ /m$/) return value * 60000
      if (value ~ /s$/) return value * 1000
      return value + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50% / { p50 = ms($2) }
    /^ +99% / { p99 = ms($2) }
    /^Duplicates:/ { duplicates = $2 }
    / requests in / { requests = $1 }
    /^Replayed:/ { replayed = $2 }
    /^Not 201:/ { failed = $3 }
    END {
      split(redis_before, before, " "); split(redis_after, after, " ")
      n = (requests > 0) ? requests : 1
      app = (app_before < 0) ? -1 : (app_after - app_before) / n
      printf "%s %.3f %.3f %d %d %d %.1f %.1f %.2f %.1f\n", (rps == "") ? 0 : rps, p50, p99, duplicates,
        replayed, (failed == "") ? 1 : failed, app, (after[1] - before[1]) * 1000000 / n,
        (after[2] - before[2]) / n, (after[3] - before[3]) / n
    }'
}

results=()
failures=0
for example in $examples; do
  start "$example"
  log "$example: warming up each endpoint for $warmup"
  for endpoint in "${endpoints[@]}"; do
    load "$endpoint" 10%-duplicates 32 "$warmup" warm-up >/dev/null
  done
  for keys in $key_modes; do
    for connections in $connection_counts; do
      for round in $(seq 1 "$rounds"); do
        # Odd rounds run plain, floor, idempotent; even rounds the reverse, so that a JVM still warming
        # up, or a machine that speeds up or slows down, favours no endpoint over two rounds.
        order=("${endpoints[@]}")
        [ $((round % 2)) = 0 ] && order=("${endpoints[2]}" "${endpoints[1]}" "${endpoints[0]}")
        log "$example: $keys keys, $connections connections, round $round: ${order[*]}, $duration each"
        for endpoint in "${order[@]}"; do
          read -r rps p50 p99 duplicates replayed failed app_cpu redis_cpu commands command_us \
            < <(load "$endpoint" "$keys" "$connections" "$duration")
          failures=$((failures + failed))
          if ! awk -v rps="$rps" 'BEGIN { exit !(rps > 0) }'; then
            log "$example: a wrk run completed no request"
            failures=$((failures + 1))
          fi
          # Every duplicate repeats a completed call's key, so each must be answered by a replay (but
          # those still in flight when wrk stopped, and the first each wrk thread makes ready and never
          # sends), except on the plain endpoint, which replays nothing.
          if [ "$endpoint" != plain ] && [ "$replayed" -lt $((duplicates - connections - threads)) ]; then
            log "$example $endpoint: only $replayed of $duplicates duplicates were replayed"
            failures=$((failures + 1))
          fi
          if [ "$keys" != unique ] && [ "$duplicates" = 0 ]; then
            log "$example $endpoint: the run was too short to send a duplicate"
          fi
          results+=("$example $keys $connections $round $endpoint $rps $p50 $p99 $app_cpu $redis_cpu $commands $command_us $replayed")
        done
      done
    done
  done
  stop
done

echo
echo "HTTP load: wrk with up to $threads threads, $duration per endpoint and round; CPU in µs per request"
printf '%s\n' "${results[@]}" | awk '
  BEGIN {
    printf "%-18s %-15s %5s %5s %-11s %9s %8s %8s %8s %10s %9s %11s %9s\n", "example", "keys", "conns", "round",
      "endpoint", "req/s", "p50 ms", "p99 ms", "app CPU", "Redis CPU", "Redis cmd", "cmd µs/req", "replayed"
  }
  {
    printf "%-18s %-15s %5s %5s %-11s %9.0f %8.3f %8.3f %8s %10.1f %9.2f %11.1f %9d\n", $1, $2, $3, $4, $5, $6,
      $7, $8, ($9 < 0) ? "-" : sprintf("%.0f", $9), $10, $11, $12, $13
  }'

echo
echo "Against the floor (means over the rounds, and the lowest and highest of the rounds' own throughput"
echo "ratios, which show how far one round's figure can be trusted; targets from docs/performance.md):"
printf '%s\n' "${results[@]}" | awk '
  {
    group = $1 " " $2 " " $3; key = group SUBSEP $5
    if (!(group in seen)) { seen[group] = 1; groups[++count] = group }
    runs[key]++; rps[key] += $6; p50[key] += $7; p99[key] += $8; app[key] += $9; redis[key] += $10
    round_rps[group SUBSEP $4 SUBSEP $5] = $6
    if ($4 > max_round) max_round = $4
  }
  function mean(sum, key) { return sum[key] / runs[key] }
  function ratio(a, b) { return (b > 0) ? a / b : 0 }
  # The lowest and highest idem/floor throughput ratio among the rounds of a group, as "low-high".
  function round_range(group,    r, idem, floor, x, low, high) {
    low = ""; high = ""
    for (r = 1; r <= max_round; r++) {
      idem = group SUBSEP r SUBSEP "idempotent"; floor = group SUBSEP r SUBSEP "floor"
      if (!(idem in round_rps) || !(floor in round_rps)) continue
      x = ratio(round_rps[idem], round_rps[floor])
      if (low == "" || x < low) low = x
      if (high == "" || x > high) high = x
    }
    return (low == "") ? "-" : sprintf("%.2f-%.2f", low, high)
  }
  END {
    printf "%-18s %-15s %5s %12s %12s %12s %14s %14s %16s %16s\n", "example", "keys", "conns", "plain/floor",
      "idem/floor", "by round", "p50 idem/floor", "p99 idem/floor", "app CPU - floor", "Redis CPU/floor"
    for (i = 1; i <= count; i++) {
      group = groups[i]; split(group, g, " ")
      plain = group SUBSEP "plain"; floor = group SUBSEP "floor"; idem = group SUBSEP "idempotent"
      throughput = ratio(mean(rps, idem), mean(rps, floor))
      app_gap = mean(app, idem) - mean(app, floor)
      redis_ratio = ratio(mean(redis, idem), mean(redis, floor))
      printf "%-18s %-15s %5s %12.2f %12.2f %12s %14.2f %14.2f %+16.1f %16.2f\n", g[1], g[2], g[3],
        ratio(mean(rps, plain), mean(rps, floor)), throughput, round_range(group),
        ratio(mean(p50, idem), mean(p50, floor)),
        ratio(mean(p99, idem), mean(p99, floor)), app_gap, redis_ratio
      verdict = verdict sprintf("%-18s %-15s %5s throughput %s %.2f: %s", g[1], g[2], g[3],
        (g[2] == "unique") ? ">= 0.95x floor," : ">= 1.00x floor,", throughput,
        (throughput >= ((g[2] == "unique") ? 0.95 : 1.0)) ? "met" : "MISSED")
      verdict = verdict sprintf("; app CPU <= floor + 15 µs, %+.1f: %s", app_gap, (app_gap <= 15) ? "met" : "MISSED")
      verdict = verdict sprintf("; Redis CPU <= 1.2x floor, %.2f: %s\n", redis_ratio, (redis_ratio <= 1.2) ? "met" : "MISSED")
    }
    printf "\n%s", verdict
  }'
if [ "$failures" -gt 0 ]; then
  log "$failures checks failed (a response not 201, a run with no request, or duplicates not replayed): see above"
  exit 1
fi
