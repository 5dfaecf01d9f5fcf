#!/usr/bin/env bash
# `make run`: with DATABASE_URL unset, start (or reuse) the embedded cluster
# under var/; then migrate and serve in the foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
	bash scripts/pgctl.sh start
	DATABASE_URL="$(bash scripts/pgctl.sh url)"
	export DATABASE_URL
fi
build/sokuho migrate
# A new database gets the demo city and its logins, then a year of invented
# closed incidents for the dashboard; an existing one is left as it is.
build/sokuho demo
build/sokuho demo history
echo "sokuho: open http://${SOKUHO_LISTEN:-127.0.0.1:8080}/ — stop with Ctrl-C; 'make stop' stops the database"
exec build/sokuho serve
