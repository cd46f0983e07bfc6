#!/usr/bin/env bash
# Runs the store benchmarks and, in the same run, pgbench inserting the same rows, on a fresh
# database of the local PostgreSQL. Both sides connect over TCP to 127.0.0.1 with
# sslmode=disable. Usage: deploy/bench/compare-with-pgbench.sh [path/to/ecusson]
set -euo pipefail
ecusson=${1:-target/release/ecusson}
here=$(cd "$(dirname "$0")" && pwd)
host=${PGHOST:-127.0.0.1}
export PGSSLMODE=disable
database=ecusson_bench_$$
url="postgres://postgres@${host}:5432/${database}?sslmode=disable"
psql -h "$host" -U postgres -d postgres -qc "create database ${database}"
trap 'psql -h "$host" -U postgres -d postgres -qc "drop database if exists ${database} with (force)"' EXIT

"$ecusson" migrate --database-url "$url"
psql -h "$host" -U postgres -d "$database" -qc "create table pgbench_event (like event including all); create sequence pgbench_event_seq;"

seconds=${BENCH_SECONDS:-20}
events=${BENCH_EVENTS:-100000}
echo "== pgbench: 8 clients, one row per transaction, ${seconds}s"
pgbench -h "$host" -U postgres -n -c 8 -j 2 -T "$seconds" -f "$here/pgbench-append.sql" "$database" | grep -E "tps|latency"
echo "== ecusson bench append: 8 writers, 100 tenants, one event per append"
"$ecusson" bench append --database-url "$url" --writers 8 --tenants 100 --batch 1 --events "$events" --json
echo "== pgbench again (the server is warm now)"
pgbench -h "$host" -U postgres -n -c 8 -j 2 -T "$seconds" -f "$here/pgbench-append.sql" "$database" | grep -E "tps|latency"
echo "== ecusson bench append: 8 writers, 100 tenants, 100 events per append"
"$ecusson" bench append --database-url "$url" --writers 8 --tenants 100 --batch 100 --events $((events * 5)) --json
