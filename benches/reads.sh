#!/usr/bin/env bash
# Audited reads against the framework's ceiling, in one wrk run per endpoint on the release
# server: GET /health/live (no auth, no database), GET /v1/patients/{id} (one row) and
# GET /v1/patients/{id}/checklist, on SQLite and PostgreSQL. Both patient reads are audited
# (their audit row is committed before they answer). The patient is realistic: 6 pregnancies,
# 25 results, 3 reviews.
# Goals (issue 9): checklist ≥ 0.25 × /health/live with p99 < 15 ms at 32 connections on
# SQLite; ≥ 0.15 × on PostgreSQL.
#
#   benches/reads.sh                                  # both backends, 10 s each, 32 connections
#   BACKENDS=sqlite DURATION=5s benches/reads.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BACKENDS=${BACKENDS:-sqlite postgres}

# The realistic patient of the checklist benchmark; prints her id.
realistic_patient() {
  local t=$1 p
  p=$(post_json /v1/patients "$t" '{"mrn": "BENCH-1", "birth_date": "1988-02-11", "partner": {"mrn": "BENCH-1P"},
    "pregnancies": [
      {"outcome": "live_birth", "ended_on": "2016-05-01", "gestational_age_weeks": 39},
      {"outcome": "miscarriage", "ended_on": "2019-03-01", "gestational_age_weeks": 7},
      {"outcome": "biochemical", "ended_on": "2020-01-10", "gestational_age_weeks": 5},
      {"outcome": "ectopic", "ended_on": "2021-06-01", "gestational_age_weeks": 6},
      {"outcome": "miscarriage", "ended_on": "2023-02-01", "gestational_age_weeks": 15},
      {"outcome": "miscarriage", "ended_on": "2025-11-20", "gestational_age_weeks": 9}]}' |
    sed -E 's/.*"id":"([^"]+)".*/\1/')
  result() { post_json "/v1/patients/$p/results" "$t" "$1" >/dev/null; }
  for i in 1 2 3; do
    result '{"test": "anticardiolipin_igg", "value": {"quantity": 52, "unit": "[GPL'"'"'U]/mL"}, "interpretation": "positive", "collected_on": "2026-0'"$i"'-10"}'
    result '{"test": "anticardiolipin_igm", "value": {"quantity": 8, "unit": "[MPL'"'"'U]/mL"}, "collected_on": "2026-0'"$i"'-10"}'
    result '{"test": "lupus_anticoagulant", "value": {"finding": "negative"}, "collected_on": "2026-0'"$i"'-10"}'
    result '{"test": "tsh", "value": {"quantity": 2.'"$i"', "unit": "m[IU]/L"}, "collected_on": "2026-0'"$i"'-12"}'
  done
  for test in anti_b2gpi_igg anti_b2gpi_igm; do
    result '{"test": "'$test'", "value": {"finding": "negative"}, "collected_on": "2026-03-10"}'
  done
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
  post_json "/v1/patients/$p/checklist/uterine_anatomy/reviews" "$t" '{"action": "acknowledge", "note": "arcuate, no action"}' >/dev/null
  post_json "/v1/patients/$p/checklist/pregnancy_tissue_genetics/reviews" "$t" '{"action": "not_applicable", "note": "no tissue"}' >/dev/null
  post_json "/v1/patients/$p/checklist/hereditary_thrombophilia/reviews" "$t" '{"action": "ordered"}' >/dev/null
  echo "$p"
}

echo "== audited reads: $CONNECTIONS connections, $DURATION per endpoint, $(nproc) cores"
for backend in $BACKENDS; do
  fresh_database "$backend"
  start_server "$DB_URL"
  T=$(token clinician)
  P=$(realistic_patient "$T")
  live=$(load "$CONNECTIONS" "$DURATION" /health/live)
  row=$(load "$CONNECTIONS" "$DURATION" "/v1/patients/$P" "$T")
  list=$(load "$CONNECTIONS" "$DURATION" "/v1/patients/$P/checklist" "$T")
  stop_server
  printf 'reads %-8s %-30s %s\n' "$backend" "GET /health/live" "$live"
  printf 'reads %-8s %-30s %s\n' "$backend" "GET /v1/patients/{id}" "$row"
  printf 'reads %-8s %-30s %s\n' "$backend" "GET /v1/patients/{id}/checklist" "$list"
  awk -v c="$(field req_per_s "$list")" -v r="$(field req_per_s "$row")" \
      -v l="$(field req_per_s "$live")" -v b="$backend" \
    'BEGIN { printf "reads %-8s ratio checklist/live=%.2f patient/live=%.2f (goal: checklist >= %s)\n",
             b, c / l, r / l, (b == "sqlite" ? "0.25, p99 < 15 ms" : "0.15") }'
done
