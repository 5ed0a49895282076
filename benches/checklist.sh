#!/usr/bin/env bash
# Requests per second of GET /v1/patients/{id}/checklist against GET /v1/patients/{id} (the
# single-row read), in the same run, on the release server with SQLite. The patient is realistic:
# 6 pregnancies, 25 results, 3 reviews. Both reads are audited (one audit row per request).
# Goal: the checklist serves at least half the requests per second of the single-row read.
#
#   cargo build --release
#   benches/checklist.sh                    # 10 s per endpoint, 8 connections
#   DURATION=30s CONNECTIONS=16 benches/checklist.sh
#
# Needs wrk (Debian: apt-get install wrk) and curl. Traffic goes to 127.0.0.1 only; each run
# stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/rpl-workup}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
PORT=${PORT:-18090}
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

TOKEN=$("$BIN" token --role clinician --org bench-clinic --sub bench-clinician --ttl 2h)
BASE="http://127.0.0.1:$PORT"
DATABASE_URL="sqlite://$WORK/bench.db" RPL_LISTEN="127.0.0.1:$PORT" "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

post() { curl -fsS -X POST "$BASE$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2"; }

PATIENT=$(post /v1/patients '{"mrn": "BENCH-1", "birth_date": "1988-02-11", "partner": {"mrn": "BENCH-1P"},
  "pregnancies": [
    {"outcome": "live_birth", "ended_on": "2016-05-01", "gestational_age_weeks": 39},
    {"outcome": "miscarriage", "ended_on": "2019-03-01", "gestational_age_weeks": 7},
    {"outcome": "biochemical", "ended_on": "2020-01-10", "gestational_age_weeks": 5},
    {"outcome": "ectopic", "ended_on": "2021-06-01", "gestational_age_weeks": 6},
    {"outcome": "miscarriage", "ended_on": "2023-02-01", "gestational_age_weeks": 15},
    {"outcome": "miscarriage", "ended_on": "2025-11-20", "gestational_age_weeks": 9}]}' |
  sed -E 's/.*"id":"([^"]+)".*/\1/')

result() { post "/v1/patients/$PATIENT/results" "$1" >/dev/null; }
for i in 1 2 3; do
  result '{"test": "anticardiolipin_igg", "value": {"quantity": 52, "unit": "[GPL'"'"'U]/mL"}, "interpretation": "positive", "collected_on": "2026-0'"$i"'-10"}'
  result '{"test": "anticardiolipin_igm", "value": {"quantity": 8, "unit": "[MPL'"'"'U]/mL"}, "collected_on": "2026-0'"$i"'-10"}'
  result '{"test": "lupus_anticoagulant", "value": {"finding": "negative"}, "collected_on": "2026-0'"$i"'-10"}'
  result '{"test": "tsh", "value": {"quantity": 2.'"$i"', "unit": "m[IU]/L"}, "collected_on": "2026-0'"$i"'-12"}'
done
for t in anti_b2gpi_igg anti_b2gpi_igm; do result '{"test": "'$t'", "value": {"finding": "negative"}, "collected_on": "2026-03-10"}'; done
result '{"test": "tpo_antibodies", "value": {"quantity": 12, "unit": "[IU]/mL"}, "collected_on": "2026-03-12"}'
result '{"test": "free_t4", "value": {"quantity": 14, "unit": "pmol/L"}, "collected_on": "2026-03-12"}'
result '{"test": "uterine_imaging", "modality": "3d_tvus", "value": {"finding": "arcuate"}, "collected_on": "2026-04-02"}'
result '{"test": "karyotype", "subject": "patient", "value": {"finding": "normal", "text": "46,XX"}, "collected_on": "2026-04-02"}'
result '{"test": "karyotype", "subject": "partner", "value": {"finding": "balanced_rearrangement", "text": "46,XY,t(11;22)(q23;q11.2)"}, "collected_on": "2026-04-02"}'
result '{"test": "progesterone", "value": {"quantity": 28, "unit": "nmol/L"}, "collected_on": "2026-04-20"}'
result '{"test": "smoking_status", "value": {"finding": "former"}, "collected_on": "2026-04-02"}'
result '{"test": "alcohol_units_per_week", "value": {"quantity": 4, "unit": "{units}/wk"}, "collected_on": "2026-04-02"}'
result '{"test": "bmi", "value": {"quantity": 27.2, "unit": "kg/m2"}, "collected_on": "2026-04-02"}'
result '{"test": "phq9_score", "value": {"quantity": 6, "unit": "{score}"}, "collected_on": "2026-04-02"}'
result '{"test": "gad7_score", "value": {"quantity": 11, "unit": "{score}"}, "collected_on": "2026-04-02"}'
result '{"test": "prolactin", "value": {"quantity": 14, "unit": "ng/mL"}, "collected_on": "2026-04-20"}'
result '{"test": "hba1c", "value": {"quantity": 5.4, "unit": "%"}, "collected_on": "2026-04-20"}'
post "/v1/patients/$PATIENT/checklist/uterine_anatomy/reviews" '{"action": "acknowledge", "note": "arcuate, no action"}' >/dev/null
post "/v1/patients/$PATIENT/checklist/pregnancy_tissue_genetics/reviews" '{"action": "not_applicable", "note": "no tissue"}' >/dev/null
post "/v1/patients/$PATIENT/checklist/hereditary_thrombophilia/reviews" '{"action": "ordered"}' >/dev/null

cat > "$WORK/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT req_per_s=%.0f errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests / (summary.duration / 1e6), bad, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

run() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/get.lua" "$BASE$1" | grep '^RESULT'; }
echo "patient: 6 pregnancies, 25 results, 3 reviews; $CONNECTIONS connections, $DURATION each"
ROW=$(run "/v1/patients/$PATIENT"); echo "GET /v1/patients/{id}            $ROW"
LIST=$(run "/v1/patients/$PATIENT/checklist"); echo "GET /v1/patients/{id}/checklist  $LIST"
rps() { sed -E 's/.*req_per_s=([0-9]+).*/\1/' <<<"$1"; }
awk -v a="$(rps "$LIST")" -v b="$(rps "$ROW")" 'BEGIN { printf "checklist / single-row read = %.2f (goal >= 0.50)\n", a / b }'
