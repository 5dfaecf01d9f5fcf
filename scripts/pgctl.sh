#!/usr/bin/env bash
# pgctl.sh: the private PostgreSQL cluster under var/ that `make run` uses when
# DATABASE_URL is unset; it listens only on a unix socket in var/run.
# usage: scripts/pgctl.sh start|stop|status|url|psql [psql args...]
# SOKUHO_PGPORT (default 54329) only names the socket file.
# As root the cluster runs as the postgres system user (db user postgres);
# otherwise as the invoking user (db user = that user's name).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
var=$root/var
pgdata=$var/pgdata
rundir=$var/run
logdir=$var/log
logfile=$logdir/postgresql.log
port=${SOKUHO_PGPORT:-54329}
dbname=sokuho

die() {
	echo "$*" >&2
	exit 1
}

usage() {
	echo "usage: scripts/pgctl.sh start|stop|status|url|psql [psql args...]" >&2
	exit 2
}

if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || ((port > 65535)); then
	die "SOKUHO_PGPORT: not a port number: $port"
fi

if (($(id -u) == 0)); then
	as_root=1
	pguser=postgres
	id -u postgres >/dev/null 2>&1 ||
		die "postgres: no such system user, install postgresql (scripts/deps.sh run)"
else
	as_root=0
	pguser=$(id -un)
fi

# runs a command as the cluster owner, from / so that an unreadable cwd is
# harmless, without the lock fd 9 (the server would otherwise keep the lock)
as_owner() {
	if ((as_root)); then
		(cd / && runuser -u postgres -- "$@" 9<&-)
	else
		"$@" 9<&-
	fi
}

# the server binaries: those of the cluster's version if it exists, else the newest
find_bindir() {
	local d v best='' bestv=-1
	if [[ -f $pgdata/PG_VERSION ]]; then
		v=$(<"$pgdata/PG_VERSION")
		d=/usr/lib/postgresql/$v/bin
		[[ -x $d/pg_ctl ]] || die "$d/pg_ctl: not found, var/pgdata needs PostgreSQL $v"
		bindir=$d
		return
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] || continue
		v=${d%/bin}
		v=${v##*/}
		[[ $v =~ ^[0-9]+$ ]] || continue
		((v > bestv)) && { bestv=$v; best=$d; }
	done
	[[ -n $best ]] || die "/usr/lib/postgresql/*/bin: no PostgreSQL server found, install postgresql (scripts/deps.sh run)"
	bindir=$best
}

# quotes a value for a libpq connection string
conn_quote() {
	local v=$1
	if [[ -z $v || $v =~ [[:space:]\'\\] ]]; then
		v=${v//\\/\\\\}
		v=${v//\'/\\\'}
		v="'$v'"
	fi
	printf '%s' "$v"
}

conninfo() {
	printf 'host=%s port=%s dbname=%s user=%s\n' \
		"$(conn_quote "$rundir")" "$port" "$dbname" "$(conn_quote "$pguser")"
}

# refuses a cluster made by another user (e.g. by root, then used as a normal user)
check_owner() {
	[[ -e $pgdata ]] || return 0
	local owner
	owner=$(stat -c %U "$pgdata")
	[[ $owner == "$pguser" ]] ||
		die "var/pgdata: owned by $owner, not $pguser; run as $([[ $owner == postgres ]] && echo root || echo "$owner") or remove $var"
}

# 0 running, 3 not running
server_status() {
	[[ -f $pgdata/PG_VERSION ]] || return 3
	local rc=0
	as_owner "$bindir/pg_ctl" status -D "$pgdata" >/dev/null 2>&1 || rc=$?
	((rc == 0)) && return 0
	return 3
}

# as root: lets postgres reach var/ by granting search (x) on each ancestor lacking it
grant_traverse() {
	((as_root)) || return 0
	as_owner test -x "$var" && return 0
	command -v setfacl >/dev/null ||
		die "setfacl: not found, postgres cannot reach $var; install acl (scripts/deps.sh run)"
	local d='' part granted=()
	local -a parts
	IFS=/ read -ra parts <<<"${var#/}"
	for part in "${parts[@]}"; do
		d=$d/$part
		as_owner test -x "$d" && continue
		setfacl -m u:postgres:x "$d"
		granted+=("$d")
	done
	as_owner test -x "$var" || die "$var: postgres still cannot reach it"
	((${#granted[@]} == 0)) ||
		echo "granted search permission to user postgres (acl u:postgres:x) on: ${granted[*]}" >&2
}

# var/ and its subdirectories, owned by the cluster user
make_dirs() {
	mkdir -p "$var" "$pgdata" "$rundir" "$logdir"
	chmod 0700 "$pgdata" "$rundir"
	if ((as_root)); then
		chown postgres:postgres "$pgdata" "$rundir" "$logdir"
		[[ ! -e $logfile ]] || chown postgres:postgres "$logfile"
	fi
	grant_traverse
}

# rewritten at each start, so a moved repository or another port just works
write_conf() {
	local q=${rundir//\'/\'\'}
	as_owner tee "$pgdata/sokuho.conf" >/dev/null <<-EOF
		# written by scripts/pgctl.sh at each start: unix socket only
		listen_addresses = ''
		unix_socket_directories = '$q'
		port = $port
	EOF
}

show_log() {
	[[ -f $logfile ]] && tail -n 20 "$logfile" >&2
	return 0
}

ensure_db() {
	local found
	found=$(as_owner "$bindir/psql" -X -At -h "$rundir" -p "$port" -U "$pguser" -d postgres \
		-c "select 1 from pg_database where datname = '$dbname'") ||
		die "psql: cannot connect to the cluster in var/run"
	[[ $found == 1 ]] && return 0
	as_owner "$bindir/createdb" -h "$rundir" -p "$port" -U "$pguser" -E UTF8 "$dbname" ||
		die "createdb: failed to create database $dbname"
}

cmd_start() {
	check_owner
	find_bindir
	make_dirs
	if server_status; then
		echo "postgres: already running in var/pgdata (socket in var/run, port $port)"
		return 0
	fi
	if [[ ! -f $pgdata/PG_VERSION ]]; then
		echo "initdb: creating a cluster in var/pgdata (log in var/log/postgresql.log)"
		as_owner "$bindir/initdb" -D "$pgdata" -U "$pguser" -E UTF8 --locale=C.UTF-8 \
			--auth-local=trust --auth-host=reject --no-instructions \
			>>"$logfile" 2>&1 || { show_log; die "initdb: failed, see var/log/postgresql.log"; }
		if ((as_root)); then chown postgres:postgres "$logfile"; fi
		echo "include_if_exists = 'sokuho.conf'" | as_owner tee -a "$pgdata/postgresql.conf" >/dev/null
	fi
	write_conf
	as_owner "$bindir/pg_ctl" start -w -t 60 -D "$pgdata" -l "$logfile" >/dev/null ||
		{ show_log; die "postgres: failed to start, see var/log/postgresql.log"; }
	ensure_db
	echo "postgres: started, database $dbname on socket dir var/run port $port"
}

cmd_stop() {
	check_owner
	[[ -f $pgdata/PG_VERSION ]] || { echo "postgres: not running (no cluster in var/pgdata)"; return 0; }
	find_bindir
	if ! server_status; then
		echo "postgres: not running"
		return 0
	fi
	as_owner "$bindir/pg_ctl" stop -w -t 60 -m fast -D "$pgdata" >/dev/null ||
		{ show_log; die "postgres: failed to stop, see var/log/postgresql.log"; }
	echo "postgres: stopped"
}

cmd_status() {
	check_owner
	if [[ ! -f $pgdata/PG_VERSION ]]; then
		echo "postgres: not running (no cluster in var/pgdata)"
		exit 3
	fi
	find_bindir
	if server_status; then
		echo "postgres: running in var/pgdata (pid $(head -n 1 "$pgdata/postmaster.pid"), socket dir $rundir, port $port)"
		exit 0
	fi
	echo "postgres: not running"
	exit 3
}

cmd_psql() {
	local psql=psql
	find_bindir
	[[ -x $bindir/psql ]] && psql=$bindir/psql
	exec "$psql" -d "$(conninfo)" "$@"
}

(($# >= 1)) || usage
cmd=$1
shift
case $cmd in
	start | stop | status | url) (($# == 0)) || usage ;;
esac
case $cmd in
	start | stop | status)
		# one pgctl at a time per repository (parallel make targets)
		[[ $cmd != start ]] || mkdir -p "$var"
		if [[ -d $var ]]; then
			exec 9<"$var"
			flock 9
		fi
		"cmd_$cmd"
		;;
	url) conninfo ;;
	psql) cmd_psql "$@" ;;
	*) usage ;;
esac
