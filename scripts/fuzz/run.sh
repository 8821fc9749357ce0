#!/usr/bin/env bash
# Fuzz the HTTP API with Schemathesis against a real `didstore serve` (see README.md here).
#
#   scripts/fuzz/run.sh [sqlite|postgresql]     (default sqlite)
#
# Schemathesis comes with the test extra. A bounded run takes minutes and is randomised, so
# it is run by hand (tests/api/test_openapi_conformance.py is the short one). Two passes: the
# operator Bearer token, then a main account's X-Auth-ID/X-Auth-Token. Fails on any 5xx.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv}"
backend="${1:-sqlite}"
port="${FUZZ_PORT:-18650}"
examples="${FUZZ_MAX_EXAMPLES:-30}"
max_time="${FUZZ_MAX_TIME:-240}"
work="$(mktemp -d)"
export DIDSTORE_ADMIN_TOKEN="fuzz-operator-token"

case "$backend" in
  sqlite) url="sqlite:///$work/fuzz.sqlite3" ;;
  postgresql)
    pg="${FUZZ_PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/postgres}"
    name="didstore_fuzz_$$"
    psql "$pg" -qc "CREATE DATABASE $name"
    url="${pg%/*}/$name" ;;
  *) echo "usage: $0 [sqlite|postgresql]" >&2; exit 2 ;;
esac

"$venv/bin/didstore" serve --test-clock --no-jobs --demo --port "$port" --database-url "$url" \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "$backend" = postgresql ]; then psql "$pg" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
  echo "server log: $work/serve.err"
}
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done

creds="$(cat "$work/serve.out" "$work/serve.err")"
ma_id="$(grep -oE 'main account +MA_[A-Z0-9]+' <<<"$creds" | awk '{print $3}')"
ma_token="$(grep -E 'main account +MA_' <<<"$creds" | sed -E 's/.*token ([^ ]+).*/\1/')"

st() {
  "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$base/openapi.json" \
    --checks not_a_server_error --max-examples "$examples" --max-time "$max_time" \
    --seed "${FUZZ_SEED:-20261123}" --generation-allow-x00 true --no-color "$@"
}
status=0
echo "== operator token ($backend)"
FUZZ_AUTH_ID="$ma_id" st -H "Authorization: Bearer $DIDSTORE_ADMIN_TOKEN" || status=1
echo "== main account $ma_id ($backend)"
FUZZ_AUTH_ID="$ma_id" st -H "X-Auth-ID: $ma_id" -H "X-Auth-Token: $ma_token" || status=1
if grep -q "unhandled error" "$work/serve.err"; then
  echo "server logged unhandled errors:"; grep -A3 "unhandled error" "$work/serve.err" | head -60 || true
  status=1
fi
exit $status
