#!/usr/bin/env bash
# Ingest throughput of the lab feeds, in results per second, against the release server: FHIR
# batch Bundles of 100 Observations (POST /fhir/r4) from 4 concurrent posters, over 100 patients,
# on SQLite and on PostgreSQL (the figures of the README and of issue 9). Every request carries new
# accessions, so every result is a real insert (not an idempotent "unchanged"). BUNDLES="0 100"
# adds single Observations (POST /fhir/r4/Observation).
#
#   cargo build --release
#   benches/ingest.sh                       # both backends, 10 s per run, 4 connections
#   DURATION=30s CONNECTIONS=16 BUNDLES="0 100" BACKENDS=sqlite benches/ingest.sh
#
# Needs wrk (Debian: apt-get install wrk) and curl; PostgreSQL at $PG_ADMIN_URL (a throwaway
# database is created and dropped). Traffic goes to 127.0.0.1 only, and each run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/rpl-workup}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-4}
BUNDLES=${BUNDLES:-100}
THREADS=${THREADS:-2}
PATIENTS=${PATIENTS:-100}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Loopback: no TLS, as for a database on the same host (PG_OPTIONS= for libpq's default).
PG_OPTIONS=${PG_OPTIONS-sslmode=disable}
PORT=${PORT:-18089}
export RPL_JWT_SECRET=${RPL_JWT_SECRET:-bench-secret-that-is-long-enough-0123456789abcdef}
export RUST_LOG=${RUST_LOG:-warn}

[ -x "$BIN" ] || { echo "build first: cargo build --release ($BIN missing)"; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }

WORK=$(mktemp -d)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

token() { "$BIN" token --role "$1" --org bench-clinic --sub "bench-$1" --ttl 2h; }

# The wrk script: $BUNDLE entries per request (0 = a single Observation), new accessions always.
cat > "$WORK/ingest.lua" <<'LUA'
local bundle = tonumber(os.getenv("BUNDLE") or "0")
local patients = tonumber(os.getenv("PATIENTS") or "100")
local token = os.getenv("LAB_TOKEN")
local counter, thread_id = 0, 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args) thread_id = tid end
local function observation(n)
  return string.format([[{"resourceType":"Observation","identifier":[{"system":"urn:bench","value":"B-%d-%d-%d"}],
"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"3016-3"}]},
"subject":{"identifier":{"value":"BENCH-%d"}},"effectiveDateTime":"2026-01-05",
"valueQuantity":{"value":%d.5,"unit":"mIU/L","system":"http://unitsofmeasure.org","code":"m[IU]/L"}}]],
    thread_id, os.time(), n, n % patients, n % 7)
end
request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/fhir+json", ["Authorization"] = "Bearer " .. token}
  if bundle == 0 then
    return wrk.format("POST", "/fhir/r4/Observation", headers, observation(counter))
  end
  local entries = {}
  for i = 1, bundle do
    local n = counter * bundle + i
    entries[i] = '{"request":{"method":"POST","url":"Observation"},"resource":' .. observation(n) .. '}'
  end
  return wrk.format("POST", "/fhir/r4", headers,
    '{"resourceType":"Bundle","type":"batch","entry":[' .. table.concat(entries, ",") .. ']}')
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local per = bundle == 0 and 1 or bundle
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d req_per_s=%.1f results_per_s=%.0f p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, bad, summary.requests / seconds, summary.requests * per / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

run_backend() {
  local backend=$1 url
  case $backend in
    sqlite) url="sqlite://$WORK/bench.db" ;;
    postgres)
      local name="rpl_bench_$$"
      psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
      url="${PG_ADMIN_URL%/*}/$name${PG_OPTIONS:+?$PG_OPTIONS}" ;;
  esac
  DATABASE_URL=$url RPL_LISTEN=127.0.0.1:$PORT RPL_BULK_BODY_LIMIT=$((10 * 1024 * 1024)) \
    "$BIN" serve > "$WORK/server-$backend.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
    sleep 0.2
  done
  local clinician; clinician=$(token clinician)
  for i in $(seq 0 $((PATIENTS - 1))); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/v1/patients" \
      -H "Authorization: Bearer $clinician" -H 'Content-Type: application/json' \
      -d "{\"mrn\": \"BENCH-$i\"}"
  done
  export LAB_TOKEN; LAB_TOKEN=$(token lab)
  export PATIENTS
  for bundle in $BUNDLES; do
    local label; label=$([ "$bundle" = 0 ] && echo "single Observation" || echo "batch Bundle of $bundle")
    local line
    line=$(BUNDLE=$bundle wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s \
      -s "$WORK/ingest.lua" "http://127.0.0.1:$PORT" | grep '^RESULT')
    printf 'ingest   %-9s %-22s %s\n' "$backend" "$label" "${line#RESULT }"
    local rate=${line#*results_per_s=}
    SUMMARY+=$(printf '\n%-9s %-22s %8s results/s' "$backend" "$label" "${rate%% *}")
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  if [ "$backend" = postgres ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS rpl_bench_$$ WITH (FORCE)"
  fi
}

echo "rpl-workup ingest benchmark: $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $PATIENTS patients"
SUMMARY=""
for backend in $BACKENDS; do run_backend "$backend"; done
echo "summary:$SUMMARY"
