#!/usr/bin/env bash
# `make run`: with DATABASE_URL unset, start (or reuse) the embedded cluster
# under var/; then migrate and serve in the foreground until Ctrl-C.
# Migrations run as the cluster's owner; serve connects as sokuho_web, a
# member of sokuho_app that may only read and append to the audit log
# (sql/0023_least_privilege.sql), as a production installation does.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
	bash scripts/pgctl.sh start
	owner_url="$(bash scripts/pgctl.sh url)"
	MIGRATE_DATABASE_URL="$owner_url" build/sokuho migrate
	bash scripts/pgctl.sh psql -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sokuho_web') THEN CREATE ROLE sokuho_web LOGIN IN ROLE sokuho_app; END IF; END \$\$" >/dev/null
	DATABASE_URL="$owner_url user=sokuho_web"
	export DATABASE_URL
else
	build/sokuho migrate # as MIGRATE_DATABASE_URL when set
fi
# A new database gets the demo city and its logins, then a year of invented
# closed incidents for the dashboard; an existing one is left as it is.
build/sokuho demo
build/sokuho demo history
# The key the sealer signs audit checkpoints with (docs/audit.md): made once
# under var/, mode 0600; an installation makes its own with sokuho audit keygen.
if [ -z "${SOKUHO_AUDIT_KEY_FILE:-}" ]; then
	mkdir -p var
	[ -e var/audit.key ] || build/sokuho audit keygen var/audit.key
	SOKUHO_AUDIT_KEY_FILE=var/audit.key
	export SOKUHO_AUDIT_KEY_FILE
fi
echo "sokuho: open http://${SOKUHO_LISTEN:-127.0.0.1:8080}/ — stop with Ctrl-C; 'make stop' stops the database"
exec build/sokuho serve
