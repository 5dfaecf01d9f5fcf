#!/usr/bin/env bash
# bench/page_trips.sh SOKUHO_BIN [N]: the incident page's round trips and
# latency on the demo city (sokuho demo + demo history), for issue 16's
# before/after note. Runs inside its own throw-away cluster (scripts/pgtmp.sh)
# with pg_stat_statements; signs in as the CISO, asks for one incident page N
# times (default 200), and prints the statements per page (top-level calls
# counted by pg_stat_statements; the sign-in, and sokuho_now()'s own body,
# excluded; no engine thread, so nothing else runs) and the p50/p90 of the
# request. TRIPS_LIST=1 lists the statements.
# Not a replacement for `make bench` (a million incidents on a durable
# cluster): a small database, the page's own overhead.
set -euo pipefail
bin=$(realpath "$1")
n=${2:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${PGPORT:-} ]]; then
	exec bash "$here/scripts/pgtmp.sh" -o shared_preload_libraries=pg_stat_statements \
		-o pg_stat_statements.track=top "$0" "$@"
fi
cd "$here"
psql -qAtc "CREATE DATABASE trips" >/dev/null
url="host=$PGHOST port=$PGPORT user=$PGUSER dbname=trips"
export DATABASE_URL=$url SOKUHO_LOG_LEVEL=error
"$bin" migrate >/dev/null
"$bin" demo >/dev/null
"$bin" demo history >/dev/null
psql -qAt -d trips -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SOKUHO_ENGINE_THREADS=0 SOKUHO_LISTEN=127.0.0.1:$port SOKUHO_BASE_URL=http://127.0.0.1:$port "$bin" serve >/tmp/trips-serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
jar=$(mktemp)
page=$(curl -fs -c "$jar" "http://127.0.0.1:$port/login")
csrf=$(grep -o 'name="csrf" value="[^"]*"' <<<"$page" | head -1 | sed 's/.*value="//; s/"$//')
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" \
	--data-urlencode login=sato.kenichi --data-urlencode password=demo-password-2026 \
	"http://127.0.0.1:$port/login"
ref=$(psql -qAt -d trips -c "SELECT ref FROM incident ORDER BY closed_at IS NULL DESC, id DESC LIMIT 1")
curl -fs -b "$jar" -o /dev/null "http://127.0.0.1:$port/incidents/$ref" # warm
psql -qAt -d trips -c "SELECT pg_stat_statements_reset()" >/dev/null
times=$(mktemp)
for _ in $(seq "$n"); do
	curl -fs -b "$jar" -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/incidents/$ref" >>"$times"
done
calls=$(psql -qAt -d trips -c "SELECT sum(calls) FROM pg_stat_statements
	WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'trips')
	  AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%FROM clock_offset%'")
sort -n "$times" | awk -v n="$n" -v calls="$calls" -v ref="$ref" '
	{ t[NR] = $1 * 1000 }
	END { printf "incident page %s: %.1f statements per page; p50 %.2f ms, p90 %.2f ms (%d requests)\n",
		ref, calls / n, t[int(n * 0.5)], t[int(n * 0.9)], n }'
if [[ -n ${TRIPS_LIST:-} ]]; then
	psql -qAt -d trips -c "SELECT calls, round(mean_exec_time::numeric, 3), left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'trips') AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC"
fi
rm -f "$jar" "$times"
