#!/usr/bin/env bash
# Every figure of BENCHMARKS.md in one run: each benchmark on a fresh PostgreSQL database
# (127.0.0.1, sslmode=disable) and a fresh SQLite file. Usage: deploy/bench/run-all.sh [ecusson]
set -euo pipefail
ecusson=${1:-target/release/ecusson}
host=${PGHOST:-127.0.0.1}
export PGSSLMODE=disable
fresh_pg() {
    local name=ecusson_bench_$1_$$
    psql -h "$host" -U postgres -d postgres -qc "drop database if exists $name" -c "create database $name" >/dev/null
    echo "postgres://postgres@${host}:5432/${name}?sslmode=disable"
}
drop_pg() { psql -h "$host" -U postgres -d postgres -qc "drop database if exists ecusson_bench_$1_$$ with (force)" >/dev/null; }
fresh_sqlite() { local dir; dir=$(mktemp -d); echo "sqlite://$dir/bench.db"; }

echo "== PostgreSQL: append, 8 writers, 100 tenants, batch 1, and pgbench in the same run"
BENCH_SECONDS=${BENCH_SECONDS:-20} BENCH_EVENTS=${BENCH_EVENTS:-100000} "$(dirname "$0")/compare-with-pgbench.sh" "$ecusson"

url=$(fresh_pg replay)
echo "== PostgreSQL: replay of 500,000 events"
"$ecusson" bench replay --database-url "$url" --events 500000 --tenants 100 --json
drop_pg replay

url=$(fresh_pg rebuild)
echo "== PostgreSQL: rebuild of the three read models over ~300,000 generated events"
"$ecusson" bench rebuild --database-url "$url" --events 300000 --tenants 100 --writers 8 --json
drop_pg rebuild

url=$(fresh_pg http)
echo "== PostgreSQL: GraphQL over HTTP, requestBadge and badge-history mixes, 32 connections, with the store's single-event appends on the same pool in the same run"
uptime
"$ecusson" bench http --database-url "$url" --connections 32 --seconds 20 --json
drop_pg http

echo "== SQLite: append, one writer, batch 100"
"$ecusson" bench append --database-url "$(fresh_sqlite)" --writers 1 --batch 100 --tenants 10 --events 300000 --json
echo "== SQLite: replay of 300,000 events"
"$ecusson" bench replay --database-url "$(fresh_sqlite)" --events 300000 --tenants 10 --json
echo "== SQLite: rebuild over ~100,000 generated events"
"$ecusson" bench rebuild --database-url "$(fresh_sqlite)" --events 100000 --tenants 10 --writers 1 --json
