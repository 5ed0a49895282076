#!/usr/bin/env bash
# Every performance figure of the README, in one run, side by side with the framework's ceiling
# (GET /health/live on the same server): the engine (criterion), audited reads, lab ingest, the
# worklist at 100,000 patients and checklist reads during a clinic-wide re-evaluation, on SQLite
# and PostgreSQL. Takes about 20 minutes on 2 cores; the full output is kept in $OUT.
#
#   benches/run.sh
#   PATIENTS=20000 DURATION=5s benches/run.sh      # a quicker, smaller run
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/bench-report.txt}
mkdir -p "$(dirname "$OUT")"

cargo build --release --locked -q
BIN_DIR=$(mktemp -d)
cp "${CARGO_TARGET_DIR:-target}/release/rpl-workup" "$BIN_DIR/rpl-workup"
trap 'rm -rf "$BIN_DIR"' EXIT
export BIN=$BIN_DIR/rpl-workup

{
  echo "rpl-workup benchmarks, $(date -u +%F), $(nproc) cores, commit $(git rev-parse --short HEAD)"
  echo "== engine (criterion, one evaluation of a realistic patient)"
  ${SKIP_ENGINE:+true} cargo bench --locked --bench engine -- --quick 2>/dev/null |
    awk '/^evaluate\// { name = $1 } /time:/ { sub(/^.*time: *\[/, ""); split($0, t, " "); printf "engine   %-24s %s %s\n", name, t[3], t[4] }'
  benches/reads.sh
  PATIENTS=100 benches/ingest.sh
  benches/worklist.sh
} 2>&1 | tee "$OUT"

echo
echo "== summary (goals from issue 9 in brackets)"
grep -E '^(engine|reads .*(ratio|health)|ingest|worklist .*first page|reeval|seed)' "$OUT" || true
