#!/usr/bin/env bash
# `make check`: every test suite, first on the normal build, then on the
# AddressSanitizer + UndefinedBehaviorSanitizer build, against a throwaway
# PostgreSQL cluster of its own (scripts/pgtmp.sh), so that several runs at
# once never collide. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export MUSTACHE_SPEC_DIR="${MUSTACHE_SPEC_DIR:-../shared/mustache-spec}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

# `scripts/check.sh --browser [FILE.test.mjs ...]` runs only the browser
# tests (all, or the files named) against the normal build, for a change to
# a page.
if [ "${1:-}" != "--inside" ]; then
	# pgtmp.sh sets PGHOST, PGPORT, PGUSER and PGDATABASE for the command
	# and removes the cluster afterwards.
	exec bash scripts/pgtmp.sh -o fsync=off -o max_connections=200 bash "$0" --inside "$@"
fi
shift
browser_only=0
if [ "${1:-}" = "--browser" ]; then
	browser_only=1
	shift
fi
browser_files=("$@")

unset DATABASE_URL

bash scripts/lint.sh

# The real-browser test (tests/browser): Debian's headless Chromium, driven by
# playwright-core under node's test runner, against a server of its own on a
# fresh demo database. Screenshots and the server's log go to build/artifacts/.
browser_test() {
	local dir=tests/browser art=build/artifacts db=sokuho_browser port pid rc=0
	mkdir -p "$art"
	# The locked packages, installed again when the lock file is newer than
	# them; without install scripts (vnu-jar's would download a JDK where
	# there is no system Java: scripts/deps.sh installs Java).
	if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >/dev/null) || {
			echo "browser test: npm ci in $dir failed"
			return 1
		}
	fi
	createdb "$db" || return 1
	if ! { DATABASE_URL="dbname=$db" build/sokuho migrate && DATABASE_URL="dbname=$db" build/sokuho demo; } \
		>"$art/browser-setup.log" 2>&1; then
		echo "browser test: migrate or demo failed:"
		tail -n 20 "$art/browser-setup.log"
		return 1
	fi
	port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
	DATABASE_URL="dbname=$db" build/sokuho serve --listen "127.0.0.1:$port" >"$art/browser-server.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	local files=("$dir"/*.test.mjs)
	((${#browser_files[@]})) && files=("${browser_files[@]}")
	SOKUHO_URL="http://127.0.0.1:$port" timeout 600 node --test --test-reporter=spec "${files[@]}" || rc=1
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || rc=1
	if [ "$rc" -ne 0 ]; then
		echo "browser test: FAILED; the server's log ($art/browser-server.log) ends:"
		tail -n 20 "$art/browser-server.log"
	fi
	return "$rc"
}

if [ "$browser_only" -eq 1 ]; then
	browser_test
	exit
fi

failed=0
for b in build build/san; do
	echo "== test suites: $b =="
	export SOKUHO_BIN="$b/sokuho"
	for t in test_unit test_db test_e2e; do
		echo "-- $t ($b)"
		"$b/$t" || failed=1
	done
	if [ "$b" = build ]; then
		echo "-- install (build)"
		bash tests/install/test_install.sh || failed=1
		echo "-- mta (build)"
		# a cluster of its own: the test stops and starts its database
		bash scripts/pgtmp.sh -o fsync=off bash tests/mail/mta_test.sh "$b/sokuho" || failed=1
		echo "-- browser (build)"
		browser_test || failed=1
	fi
done
# The mail intake's libFuzzer harness, briefly (make fuzz-mail runs it longer).
echo "-- fuzz-mail (10 s)"
if command -v clang >/dev/null; then
	make --no-print-directory fuzz-mail FUZZ_SECONDS=10 >build/fuzz-mail.log 2>&1 || {
		echo "fuzz-mail: FAILED; the end of build/fuzz-mail.log:"
		tail -n 40 build/fuzz-mail.log
		failed=1
	}
else
	echo "fuzz-mail: skipped, clang is not installed (apt-get install clang)"
fi
if [ "$failed" -ne 0 ]; then
	echo "make check: FAILED"
	exit 1
fi
echo "make check: all suites passed"
