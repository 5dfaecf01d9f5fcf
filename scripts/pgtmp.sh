#!/usr/bin/env bash
# pgtmp.sh: runs a command against a throw-away PostgreSQL cluster of its own
# (a fresh directory under /tmp, a free port on 127.0.0.1, trust
# authentication on the loopback only), then removes the cluster. Unlike
# pg_virtualenv, which as root always names its cluster 15/regress, any number
# of these can run at once, so two `make check` runs never collide.
# usage: scripts/pgtmp.sh [-o name=value]... command [args...]
# The command gets PGHOST, PGPORT, PGUSER and PGDATABASE (postgres), as
# pg_virtualenv sets them. As root the cluster runs as the postgres system user.
set -euo pipefail

gucs=()
while (($#)) && [[ $1 == -o ]]; do
	gucs+=(-c "$2")
	shift 2
done
(($#)) || { echo "usage: scripts/pgtmp.sh [-o name=value]... command [args...]" >&2; exit 2; }

bindir=''
bestv=-1
for d in /usr/lib/postgresql/*/bin; do
	[[ -x $d/initdb && -x $d/pg_ctl ]] || continue
	v=${d%/bin}
	v=${v##*/}
	[[ $v =~ ^[0-9]+$ ]] || continue
	((v > bestv)) && { bestv=$v; bindir=$d; }
done
[[ -n $bindir ]] || { echo "pgtmp: no PostgreSQL server found (scripts/deps.sh check installs it)" >&2; exit 1; }

if (($(id -u) == 0)); then
	owner=postgres
	as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
	owner=$(id -un)
	as_owner() { "$@"; }
fi

# a fresh, private folder under /tmp, named by mktemp
dir=$(mktemp -d --tmpdir=/tmp)
chmod 755 "$dir"
(($(id -u) == 0)) && chown "$owner" "$dir"
cleanup() {
	as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m immediate -w >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! as_owner "$bindir/initdb" -D "$dir/data" -U "$owner" -E UTF8 --locale=C.UTF-8 \
	--auth=trust >"$dir/initdb.log" 2>&1; then
	cat "$dir/initdb.log" >&2
	exit 1
fi

started=0
for _ in 1 2 3 4 5 6 7 8; do
	port=$((20000 + RANDOM % 30000))
	if as_owner "$bindir/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/postgresql.log" \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${gucs[*]}" >/dev/null 2>&1; then
		started=1
		break
	fi
done
if ((!started)); then
	echo "pgtmp: the throw-away cluster did not start; its log ends:" >&2
	tail -n 20 "$dir/postgresql.log" >&2
	exit 1
fi

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=$owner PGDATABASE=postgres
unset PGPASSWORD PGHOSTADDR PGSERVICE
rc=0
"$@" || rc=$?
exit "$rc"
