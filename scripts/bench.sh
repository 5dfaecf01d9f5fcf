#!/usr/bin/env bash
# `make bench`: starts the private, durable PostgreSQL cluster of the
# benchmarks (bench/cluster.sh, in build/bench/pgdata), runs bench/run.py
# (which starts its own sokuho serve / worker and SMTP server), prints the
# table and writes bench/results/latest.json and docs/benchmarks.md; then
# stops the cluster. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for cmd in wrk curl /usr/bin/python3; do
	command -v "$cmd" >/dev/null || { echo "bench: $cmd not found (scripts/deps.sh bench)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	{ echo "bench: python3-aiosmtpd not installed (scripts/deps.sh bench)" >&2; exit 1; }
bash bench/cluster.sh start
trap 'bash bench/cluster.sh stop' EXIT
/usr/bin/python3 bench/run.py
