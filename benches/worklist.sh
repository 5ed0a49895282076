#!/usr/bin/env bash
# Worklist benchmark: seeds PATIENTS (default 100,000) synthetic patients into a fresh SQLite
# database, starts the release server on it, and measures the latency of the worklist's first
# page and of filtered pages with wrk (one connection: latency; then CONNECTIONS: under load).
# Every request is a real one: token checked, stale summaries refreshed, 50 audit rows written.
#
#   benches/worklist.sh                      # 100,000 patients
#   PATIENTS=10000 DURATION=5s benches/worklist.sh
set -euo pipefail

PATIENTS=${PATIENTS:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18080}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

cd "$(dirname "$0")/.."
cargo build --release -q
WORK=$(mktemp -d)
# A private copy: a shared target directory may be rebuilt from another checkout meanwhile.
cp "${CARGO_TARGET_DIR:-target}/release/rpl-workup" "$WORK/rpl-workup"
BIN=$WORK/rpl-workup
DB="sqlite://$WORK/bench.db"
export RPL_JWT_SECRET
RPL_JWT_SECRET=$(head -c 48 /dev/urandom | base64)

echo "== seeding $PATIENTS patients"
/usr/bin/time -f "seed: %e s, %M KB max RSS" \
  "$BIN" seed --database-url "$DB" --patients "$PATIENTS" --org bench-clinic --batch 2000 2>&1 \
  | grep -v '^seeded [0-9]*/'
ls -lh "$WORK/bench.db" | awk '{print "database: " $5}'

TOKEN=$("$BIN" token --role clinician --org bench-clinic --ttl 1h)
"$BIN" serve --database-url "$DB" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
  sleep 0.1
done

measure() {
  local label=$1 path=$2 url="http://127.0.0.1:$PORT$2"
  local rows
  rows=$(curl -fs -H "Authorization: Bearer $TOKEN" "$url" | grep -o '"patient_id"' | wc -l)
  for c in 1 "$CONNECTIONS"; do
    wrk -t "$(( c < 2 ? 1 : 2 ))" -c "$c" -d "$DURATION" --latency \
        -H "Authorization: Bearer $TOKEN" "$url" >"$WORK/wrk.txt"
    printf '%-34s rows=%-3s c=%-2s p50=%-9s p90=%-9s p99=%-9s req/s=%s\n' "$label" "$rows" "$c" \
      "$(awk '$1=="50%"{print $2}' "$WORK/wrk.txt")" \
      "$(awk '$1=="90%"{print $2}' "$WORK/wrk.txt")" \
      "$(awk '$1=="99%"{print $2}' "$WORK/wrk.txt")" \
      "$(awk '/Requests\/sec/{print $2}' "$WORK/wrk.txt")"
  done
}

echo "== worklist, $PATIENTS patients, SQLite, $(nproc) cores"
measure "first page (50)"                "/v1/worklist"
measure "status=repeat_due&overdue=true" "/v1/worklist?status=repeat_due&overdue=true"
measure "item=uterine_anatomy&abnormal"  "/v1/worklist?item=uterine_anatomy&status=abnormal"
measure "profile=eshre-2022"             "/v1/worklist?profile=eshre-2022"
measure "due_before (next 30 days)"      "/v1/worklist?due_before=$(date -u -d '+30 days' +%F)"
