#!/usr/bin/env bash
# deps.sh: make sure the Debian packages that `make run|check|bench` need are
# installed; installs the missing ones as root, otherwise says what to run.
# usage: scripts/deps.sh [run|check|bench]   (default: run)
# SOKUHO_DEPS_EXTRA="pkg ..." appends packages to the list (handy for tests).
set -euo pipefail

# compiling and linking the server (needed by every target)
build_pkgs=(
	build-essential      # gcc, make, libc headers
	pkg-config           # compiler and linker flags of the libraries below
	libmicrohttpd-dev    # embedded HTTP server
	libjansson-dev       # JSON: API bodies, workflow files, template data
	libpq-dev            # the PostgreSQL client library
	libsodium-dev        # Argon2id password hashing, random tokens, SHA-256
	libesmtp-dev         # sending notification mail over SMTP
	libssl-dev           # STARTTLS for that mail (the TLS context libESMTP uses)
	libgraphviz-dev      # drawing workflow pictures (SVG) on the admin pages
	libgmime-3.0-dev     # reading reported mail (sokuho mail-intake): MIME, headers, encodings
)

# running the server against the embedded cluster (scripts/pgctl.sh)
run_pkgs=(
	postgresql           # server binaries (initdb, pg_ctl, postgres; pg_basebackup for the failover suite) for var/pgdata
	postgresql-common    # the postgres system user, psql, pg_virtualenv (make check)
	acl                  # setfacl, to let postgres traverse a repo under a 0700 dir
)

# the test suite
check_pkgs=(
	openssl              # a throwaway certificate for the built-in HTTPS test
	check                # C unit-test framework
	libsubunit-dev       # needed to link against check
	libcurl4-openssl-dev # the HTTP client of the end-to-end tests
	python3-aiosmtpd     # a real SMTP server for the mail tests
	postgresql-contrib   # contrib extensions the test database may load
	valgrind             # leak checks of the server's request path
	chromium             # the real browser of tests/browser (headless, driven by playwright-core)
	fonts-ipafont-gothic # a Japanese font, so the browser tests' screenshots are legible
	default-jre-headless # Java for the Nu HTML Checker (npm vnu-jar, run by tests/browser/a11y.test.mjs)
	systemd              # systemd-analyze, to verify the units of `make install` (tests/install)
	clang                # libFuzzer, for the mail intake's fuzz harness (make fuzz-mail, tests/fuzz)
)
# The browser test also needs the commands node and npm (node's test runner,
# and `npm ci` of tests/browser). They are checked as commands, not as Debian
# packages: a machine may have a Node.js from elsewhere (such as nodesource's,
# whose own nodejs package bundles npm and conflicts with Debian's npm), and
# then nothing is installed. A missing one comes from Debian:
#   nodejs    node, to run tests/browser with `node --test`
#   npm       npm, to install tests/browser's locked packages (playwright-core)

# CI only (CI set, as .ci/run does, and root): a real MTA in front of
# `sokuho mail-intake` (tests/mail/mta_test.sh runs its own instance; the
# package is installed with "No configuration", so nothing listens)
ci_pkgs=(
	postfix              # Debian's Postfix, for the pipe-alias test of the mail intake
)

# the benchmarks
bench_pkgs=(
	postgresql-contrib   # pgbench (the filing baseline) and pg_stat_statements (the page floors)
	wrk                  # HTTP load generator, scripted by bench/*.lua
	curl                 # signs the benchmark's client in
	python3-aiosmtpd     # the local SMTP server of the mail benchmark (tests/mail/smtpd.py)
	python3              # /usr/bin/python3 runs bench/run.py and bench/report.py
)

usage() {
	echo "usage: scripts/deps.sh [run|check|bench]" >&2
	exit 2
}

(($# <= 1)) || usage
purpose=${1:-run}
case $purpose in
	run) wanted=("${build_pkgs[@]}" "${run_pkgs[@]}") ;;
	check)
		wanted=("${build_pkgs[@]}" "${run_pkgs[@]}" "${check_pkgs[@]}")
		[[ -n ${CI:-} ]] && wanted+=("${ci_pkgs[@]}")
		command -v node >/dev/null || wanted+=(nodejs)
		command -v npm >/dev/null || wanted+=(npm)
		;;
	bench) wanted=("${build_pkgs[@]}" "${run_pkgs[@]}" "${bench_pkgs[@]}") ;;
	*) usage ;;
esac
# shellcheck disable=SC2206 # word splitting of the extra list is intended
wanted+=(${SOKUHO_DEPS_EXTRA:-})

missing=()
declare -A seen=()
for pkg in "${wanted[@]}"; do
	[[ -z ${seen[$pkg]:-} ]] || continue
	seen[$pkg]=1
	state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[[ $state == installed ]] || missing+=("$pkg")
done

((${#missing[@]} == 0)) && exit 0

if (($(id -u) != 0)); then
	echo "missing packages: ${missing[*]}" >&2
	echo "sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix without a configuration of its own: the test makes its instance
if [[ " ${missing[*]} " == *" postfix "* ]] && command -v debconf-set-selections >/dev/null; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi
apt-get update || echo "apt-get update: failed, trying the install with the current package lists" >&2
status=0
apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" || status=$?
exit "$status"
