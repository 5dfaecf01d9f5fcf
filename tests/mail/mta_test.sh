#!/usr/bin/env bash
# A real MTA in front of `sokuho mail-intake` (issue 20, done-when 2): a
# Postfix instance of its own (Debian's postfix, a config directory under a
# temporary folder, SMTP on a free port of 127.0.0.1, nothing of
# /etc/postfix changed) delivers csirt-report@city.example.jp through the
# pipe alias of the README; a forwarded mail sent with Python's smtplib
# becomes the sender's report. Then with the database stopped the pipe exits
# 75, Postfix keeps the message in its queue, and once the database is back
# a flush of the queue delivers it: the second report is there, once.
#
# Needs root (Postfix's daemons) and Debian's postfix: .ci/run (root, CI=true,
# scripts/deps.sh installs postfix there) runs it from `make check`; otherwise
# it says why it is skipped and exits 0.
# usage: bash scripts/pgtmp.sh bash tests/mail/mta_test.sh [build/sokuho]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/sokuho}

if (($(id -u) != 0)); then
	echo "mta test: skipped (it runs Postfix's daemons: needs root; .ci/run runs it)"
	exit 0
fi
if [[ ! -x /usr/sbin/postfix || ! -x /usr/sbin/postconf ]]; then
	echo "mta test: skipped (Debian's postfix is not installed; scripts/deps.sh check installs it when CI is set)"
	exit 0
fi
[[ -n ${PGPORT:-} ]] || { echo "mta test: run it under scripts/pgtmp.sh" >&2; exit 2; }

t=$(mktemp -d /tmp/sokuho-mta.XXXXXX)
chmod 755 "$t"
conf=$t/etc
stop_all() {
	/usr/sbin/postfix -c "$conf" stop >/dev/null 2>&1 || true
	rm -rf "$t"
}
trap stop_all EXIT
fail() {
	echo "mta test: FAILED: $*"
	echo "-- Postfix's log:"
	tail -n 30 "$t/maillog" 2>/dev/null || true
	echo "-- the queue:"
	/usr/sbin/postqueue -c "$conf" -p 2>/dev/null | tail -n 10 || true
	exit 1
}

# The database, and what the pipe runs: the binary and the files it reads,
# readable by the unprivileged user the pipe runs as (nobody, Postfix's
# default_privs: the alias file is root's).
db=sokuho_mta
createdb "$db"
url="host=$PGHOST port=$PGPORT dbname=$db user=$PGUSER"
DATABASE_URL=$url "$bin" migrate >/dev/null
DATABASE_URL=$url "$bin" demo >/dev/null
mkdir -p "$t/sokuho"
cp "$bin" "$t/sokuho/sokuho"
cp -R workflows calendar "$t/sokuho/"
cat >"$t/sokuho/sokuho.conf" <<EOF
database_url = $url
workflows_dir = $t/sokuho/workflows
calendar_file = $t/sokuho/calendar/city.json
mail_internal_relays = 127.0.0.1
EOF
chmod -R a+rX "$t/sokuho"

# A Postfix instance of its own.
mkdir -p "$conf" "$t/spool" "$t/lib"
chown postfix "$t/lib"
cp /etc/postfix/master.cf "$conf/master.cf"
cp /etc/postfix/dynamicmaps.cf "$conf/" 2>/dev/null || true
[[ -d /etc/postfix/dynamicmaps.cf.d ]] && cp -R /etc/postfix/dynamicmaps.cf.d "$conf/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $t/spool
data_directory = $t/lib
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.city.example.jp
mydomain = city.example.jp
myorigin = city.example.jp
mydestination = city.example.jp
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps = hash:$conf/aliases
alias_database = hash:$conf/aliases
local_recipient_maps = \$alias_maps
relayhost =
maillog_file_prefixes = /var, /dev/stdout, $t
maillog_file = $t/maillog
# retry the queue soon (the test flushes it by hand, too)
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
/usr/sbin/postconf -c "$conf" -MX smtp/inet
/usr/sbin/postconf -c "$conf" -M "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd"
/usr/sbin/postconf -c "$conf" -F '*/*/chroot = n'
# The README's alias: the pipe runs the binary with its configuration file.
cat >"$conf/aliases" <<EOF
csirt-report: "|$t/sokuho/sokuho --config $t/sokuho/sokuho.conf mail-intake"
EOF
/usr/sbin/postalias -c "$conf" "$conf/aliases"
/usr/sbin/postfix -c "$conf" check || fail "postfix check"
/usr/sbin/postfix -c "$conf" start >/dev/null 2>&1 || fail "postfix start"
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

send() { # FIXTURE MESSAGE-ID
	python3 - "$port" "$1" "$2" <<'EOF'
import smtplib, sys
port, path, mid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = open(path, "rb").read().replace(b"sjis-0001@pc-203.city.example.jp", mid.encode())
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.sendmail("hata.yoshiko@city.example.jp", ["csirt-report@city.example.jp"], raw)
EOF
}
reports() {
	psql -d "$db" -Atc "SELECT count(*) FROM mail_report m JOIN person p ON p.id = m.reporter_id WHERE p.login = 'hata.yoshiko' AND m.message_id = '$1'"
}
wait_report() { # MESSAGE-ID SECONDS
	for _ in $(seq $(($2 * 10))); do
		[[ $(reports "$1") == 1 ]] && return 0
		sleep 0.1
	done
	return 1
}

# 1. delivered through the pipe: the sender's report
send tests/mail/fixtures/sjis_cp932.eml mta-1@pc-203.city.example.jp
wait_report mta-1@pc-203.city.example.jp 30 || fail "the first mail made no report"
echo "mta test: a mail through Postfix's pipe alias became hata.yoshiko's report"

# 2. the database stopped: exit 75, the message stays queued
datadir=$(psql -d postgres -Atc 'SHOW data_directory')
sockdir=$(dirname "$datadir")
pgbin=$(psql -d postgres -Atc "SELECT setting FROM pg_config WHERE name = 'BINDIR'" 2>/dev/null || true)
[[ -x $pgbin/pg_ctl ]] || pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { (cd / && runuser -u "$PGUSER" -- "$@"); }
as_pg "$pgbin/pg_ctl" stop -D "$datadir" -m fast -w >/dev/null
send tests/mail/fixtures/sjis_cp932.eml mta-2@pc-203.city.example.jp
deferred=0
for _ in $(seq 300); do
	if grep -q 'status=deferred' "$t/maillog" 2>/dev/null; then
		deferred=1
		break
	fi
	sleep 0.1
done
((deferred)) || { as_pg "$pgbin/pg_ctl" start -D "$datadir" -w -l "$sockdir/postgresql.log" -o "-p $PGPORT -k $sockdir -c listen_addresses=127.0.0.1" >/dev/null; fail "no deferral while the database was down"; }
grep 'status=deferred' "$t/maillog" | tail -n 1 | grep -q 'temporary failure' || fail "the deferral is not a temporary failure"
/usr/sbin/postqueue -c "$conf" -p | grep -q 'csirt-report@city.example.jp' || fail "the message is not in the queue"
echo "mta test: with the database stopped the pipe exited 75 and Postfix kept the message"

# 3. the database back: the queue is flushed and the report is there, once
as_pg "$pgbin/pg_ctl" start -D "$datadir" -w -l "$sockdir/postgresql.log" \
	-o "-p $PGPORT -k $sockdir -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
/usr/sbin/postqueue -c "$conf" -f
wait_report mta-2@pc-203.city.example.jp 60 || fail "the kept message was not delivered once the database was back"
[[ $(reports mta-1@pc-203.city.example.jp) == 1 ]] || fail "the first report is there more than once"
/usr/sbin/postqueue -c "$conf" -p | grep -q 'csirt-report@city.example.jp' && fail "the message is still queued"
echo "mta test: once the database was back the queued message was delivered: the report is there once"
