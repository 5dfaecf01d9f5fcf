#!/usr/bin/env bash
# bench/cluster.sh: the private PostgreSQL cluster of `make bench`, in
# build/bench/pgdata, listening only on a unix socket in build/bench/run.
# fsync and synchronous_commit stay on (the defaults): the figures are those
# of a durable database. As root it runs as the postgres system user.
# usage: bench/cluster.sh start|stop|conninfo|psql [args...]
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
dir=${SOKUHO_BENCH_DIR:-$root/build/bench}
pgdata=$dir/pgdata
rundir=$dir/run
log=$dir/postgresql.log
port=${SOKUHO_BENCH_PGPORT:-55439}

if (($(id -u) == 0)); then
	pguser=postgres
	as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
	pguser=$(id -un)
	as_owner() { "$@"; }
fi

bindir=
for d in /usr/lib/postgresql/*/bin; do
	[[ -x $d/initdb && -x $d/pgbench ]] && bindir=$d
done
[[ -n $bindir ]] || { echo "bench/cluster.sh: no PostgreSQL server with pgbench found" >&2; exit 1; }

conninfo() { printf 'host=%s port=%s user=%s dbname=%s\n' "$rundir" "$port" "$pguser" "${1:-sokuho}"; }

start() {
	mkdir -p "$dir" "$pgdata" "$rundir"
	chmod 0700 "$pgdata" "$rundir"
	if (($(id -u) == 0)); then chown postgres:postgres "$pgdata" "$rundir"; touch "$log"; chown postgres "$log"; fi
	if [[ ! -f $pgdata/PG_VERSION ]]; then
		as_owner "$bindir/initdb" -D "$pgdata" -U "$pguser" -E UTF8 --locale=C.UTF-8 \
			--auth-local=trust --auth-host=reject --no-instructions >>"$log" 2>&1
		echo "include_if_exists = 'bench.conf'" | as_owner tee -a "$pgdata/postgresql.conf" >/dev/null
	fi
	# rewritten at each start
	as_owner tee "$pgdata/bench.conf" >/dev/null <<-CONF
		# make bench (bench/cluster.sh): durable (fsync, synchronous_commit and
		# full_page_writes are left on), sized for a small dedicated server
		listen_addresses = ''
		unix_socket_directories = '$rundir'
		port = $port
		fsync = on
		synchronous_commit = on
		full_page_writes = on
		max_connections = 200
		shared_buffers = 1GB
		effective_cache_size = 4GB
		work_mem = 16MB
		maintenance_work_mem = 1GB
		max_wal_size = 8GB
		checkpoint_timeout = 30min
		random_page_cost = 1.1
		shared_preload_libraries = 'pg_stat_statements'
		pg_stat_statements.track = top
	CONF
	if ! as_owner "$bindir/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" start -w -t 120 -D "$pgdata" -l "$log" >/dev/null ||
			{ tail -n 20 "$log" >&2; exit 1; }
	fi
}

stop() {
	[[ -f $pgdata/PG_VERSION ]] || return 0
	as_owner "$bindir/pg_ctl" status -D "$pgdata" >/dev/null 2>&1 || return 0
	as_owner "$bindir/pg_ctl" stop -w -t 120 -m fast -D "$pgdata" >/dev/null
}

cmd=${1:-}
shift || true
case $cmd in
	start) start ;;
	stop) stop ;;
	conninfo) conninfo "$@" ;;
	bindir) echo "$bindir" ;;
	psql) exec "$bindir/psql" -X -v ON_ERROR_STOP=1 -d "$(conninfo "${SOKUHO_BENCH_DB:-sokuho}")" "$@" ;;
	*) echo "usage: bench/cluster.sh start|stop|conninfo [DB]|bindir|psql [args...]" >&2; exit 2 ;;
esac
