#!/usr/bin/env bash
# A clinic at scale: seeds PATIENTS (default 100,000) synthetic patients per backend, then on the
# release server measures
#   - worklist pages (the first page and four filters), p50 and p99 with 1 and with 8 connections
#     (goals, issue 9: p50 < 10 ms with 1 connection, < 25 ms with 8);
#   - checklist reads (8 connections) before and during a clinic-wide re-evaluation of every
#     patient (PATCH /v1/clinic with a new default profile), and how long the re-evaluation took.
# Every request is a real one: token checked, audit rows committed before the answer.
#
#   benches/worklist.sh                                 # 100,000 patients, both backends
#   PATIENTS=10000 DURATION=5s BACKENDS=sqlite benches/worklist.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PATIENTS=${PATIENTS:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
BACKENDS=${BACKENDS:-sqlite postgres}

page() {
  local backend=$1 label=$2 path=$3 rows
  rows=$(curl -fs -H "Authorization: Bearer $T" "$BASE$path" | grep -o '"patient_id"' | wc -l)
  for c in 1 "$CONNECTIONS"; do
    printf 'worklist %-8s %-32s rows=%-3s c=%-2s %s\n' "$backend" "$label" "$rows" "$c" \
      "$(load "$c" "$DURATION" "$path" "$T")"
  done
}

for backend in $BACKENDS; do
  fresh_database "$backend"
  url=$DB_URL
  start=$(date +%s.%N)
  "$BIN" seed --database-url "$url" --patients "$PATIENTS" --org "$ORG" --batch 2000 >/dev/null 2>&1
  awk -v s="$start" -v e="$(date +%s.%N)" -v n="$PATIENTS" -v b="$backend" \
    'BEGIN { printf "seed     %-8s %d patients in %.0f s (%.0f patients/s)\n", b, n, e - s, n / (e - s) }'
  start_server "$url"
  T=$(token clinician)
  ADMIN=$(token admin)
  page "$backend" "first page (50)" "/v1/worklist"
  page "$backend" "status=repeat_due&overdue=true" "/v1/worklist?status=repeat_due&overdue=true"
  page "$backend" "item=uterine_anatomy&abnormal" "/v1/worklist?item=uterine_anatomy&status=abnormal"
  page "$backend" "profile=eshre-2022" "/v1/worklist?profile=eshre-2022"
  page "$backend" "due_before (next 30 days)" "/v1/worklist?due_before=$(date -u -d '+30 days' +%F)"

  # Re-evaluation: checklist reads of one patient, before and while every patient is re-evaluated.
  P=$(curl -fs -H "Authorization: Bearer $T" "$BASE/v1/patients?limit=1" | sed -E 's/.*"id":"([^"]+)".*/\1/')
  before=$(load "$CONNECTIONS" "$DURATION" "/v1/patients/$P/checklist" "$T")
  printf 'reeval   %-8s %-32s %s\n' "$backend" "checklist reads, idle" "$before"
  started=$(date +%s.%N)
  curl -fsS -o /dev/null -X PATCH "$BASE/v1/clinic" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' -d '{"default_profile": "rcog-2023"}'
  during=$(load "$CONNECTIONS" "$DURATION" "/v1/patients/$P/checklist" "$T")
  progress=$(curl -fs -H "Authorization: Bearer $ADMIN" "$BASE/v1/clinic")
  printf 'reeval   %-8s %-32s %s (%s)\n' "$backend" "checklist reads, re-evaluating" "$during" \
    "$(grep -o '"done":[0-9]*,"total":[0-9]*' <<<"$progress" | head -1)"
  # Until done, or REEVAL_WAIT seconds (default 120): then the rate so far.
  for _ in $(seq 1 "${REEVAL_WAIT:-120}"); do
    progress=$(curl -fs -H "Authorization: Bearer $ADMIN" "$BASE/v1/clinic")
    grep -q '"state":"done"' <<<"$progress" && break
    sleep 1
  done
  done_so_far=$(grep -o '"done":[0-9]*' <<<"$progress" | head -1 | cut -d: -f2)
  awk -v s="$started" -v e="$(date +%s.%N)" -v n="${done_so_far:-0}" -v t="$PATIENTS" -v b="$backend" \
    'BEGIN { printf "reeval   %-8s %d of %d patients re-evaluated in %.0f s (%.0f patients/s)\n", b, n, t, e - s, n / (e - s) }'
  stop_server
done
