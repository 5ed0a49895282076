# Shared by the bench scripts (sourced, not run): the release binary, a throwaway database per
# backend, the server on it, tokens and wrk runs that print one parsable RESULT line.
# Traffic goes to 127.0.0.1 only; every server and database is removed on exit.

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# The server reaches its throwaway database over loopback, where TLS protects nothing: as on a
# database on the same host, it is off. PG_OPTIONS= measures libpq's default (TLS when offered).
PG_OPTIONS=${PG_OPTIONS-sslmode=disable}
export RPL_JWT_SECRET=${RPL_JWT_SECRET:-bench-secret-that-is-long-enough-0123456789abcdef}
export RUST_LOG=${RUST_LOG:-warn}
ORG=${ORG:-bench-clinic}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER=""
PG_DATABASES=()

stop_server() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}

bench_cleanup() {
  stop_server
  for db in "${PG_DATABASES[@]}"; do
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

# A private copy of the release binary: a shared target directory may be rebuilt meanwhile.
if [ -z "${BIN:-}" ]; then
  if [ -z "${NO_BUILD:-}" ]; then cargo build --release --locked -q; fi
  cp "${CARGO_TARGET_DIR:-target}/release/rpl-workup" "$WORK/rpl-workup"
  BIN=$WORK/rpl-workup
fi
[ -x "$BIN" ] || { echo "no release binary at $BIN" >&2; exit 1; }

# fresh_database BACKEND: sets DB_URL to a fresh, empty database (sqlite or postgres), dropped on
# exit.
fresh_database() {
  case $1 in
    sqlite) DB_URL="sqlite://$WORK/bench-$RANDOM$RANDOM.db" ;;
    postgres)
      local name="rpl_bench_$$_$RANDOM"
      psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $name" >/dev/null
      PG_DATABASES+=("$name")
      DB_URL="${PG_ADMIN_URL%/*}/$name${PG_OPTIONS:+?$PG_OPTIONS}" ;;
    *) echo "unknown backend $1" >&2; return 1 ;;
  esac
}

# start_server DATABASE_URL [extra serve args]: the server on PORT, waited for until ready.
start_server() {
  local url=$1; shift
  PORT=${PORT:-18090}
  BASE="http://127.0.0.1:$PORT"
  if curl -fs "$BASE/health/live" >/dev/null 2>&1; then
    echo "something already serves $BASE; stop it or set PORT" >&2
    return 1
  fi
  DATABASE_URL=$url RPL_LISTEN=127.0.0.1:$PORT "$BIN" serve "$@" >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -fs "$BASE/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not become ready; its log:" >&2
  tail -20 "$WORK/server.log" >&2
  return 1
}

token() { "$BIN" token --role "$1" --org "$ORG" --sub "bench-$1" --ttl 4h; }

# wrk's summary as one line: RESULT req_per_s=… errors=… p50_ms=… p99_ms=…
cat > "$WORK/result.lua" <<'LUA'
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT req_per_s=%.0f errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests / (summary.duration / 1e6), bad,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

# load CONNECTIONS DURATION PATH [TOKEN]: GETs of PATH, one RESULT line.
load() {
  local connections=$1 duration=$2 path=$3
  BENCH_TOKEN=${4:-} wrk -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"$duration" \
    --timeout 30s -s "$WORK/result.lua" "$BASE$path" | grep '^RESULT' | sed 's/^RESULT //'
}

# field NAME LINE: one value of a RESULT line.
field() { sed -E "s/.*$1=([0-9.]+).*/\\1/" <<<"$2"; }

post_json() {
  curl -fsS -X POST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}
