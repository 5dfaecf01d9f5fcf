#!/usr/bin/env bash
# `make check`: every test suite, first on the normal build, then on the
# AddressSanitizer + UndefinedBehaviorSanitizer build, against a throwaway
# PostgreSQL cluster made by pg_virtualenv. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export MUSTACHE_SPEC_DIR="${MUSTACHE_SPEC_DIR:-../shared/mustache-spec}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

if [ "${1:-}" != "--inside" ]; then
	# pg_virtualenv sets PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE
	# for the command and removes the cluster afterwards.
	exec pg_virtualenv -o fsync=off -o max_connections=200 bash "$0" --inside
fi

unset DATABASE_URL
failed=0
for b in build build/san; do
	echo "== test suites: $b =="
	export SOKUHO_BIN="$b/sokuho"
	for t in test_unit test_db test_e2e; do
		echo "-- $t ($b)"
		"$b/$t" || failed=1
	done
done
if [ "$failed" -ne 0 ]; then
	echo "make check: FAILED"
	exit 1
fi
echo "make check: all suites passed"
