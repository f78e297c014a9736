#!/usr/bin/env bash
# The whole lading pipeline on one machine, with counts at every step:
#
#   generate a table in the local Cassandra
#     -> exporter (with writetimes and TTLs) -> file://
#     -> shipper -> the local S3 server
#     -> loader, restoring into a new keyspace -> verify full
#     -> loader --route: the table with a secondary index (customers) into
#        Spanner (spannertest) with its index, the other (orders) into the
#        Bigtable emulator -> what landed where, rows read back
#     -> loader into the Snowflake stand-in (fakesnow behind the front of
#        internal/testenv/snowfront): orders, COPY INTO from an external
#        stage over the S3 dumps -> COUNT(*) and a sample query
#
# Uses the test servers of scripts/services.sh (started if needed; left
# running). DEMO_ROWS sets the table's size (default 20000). The demo's
# keyspaces (lading_demo, lading_demo_restore) are dropped and recreated on
# every run and left for inspection; its dumps go to a temporary directory
# and a fresh prefix of the test S3 bucket.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS=${DEMO_ROWS:-20000}
SRC_KS=lading_demo
DST_KS=lading_demo_restore

step() { printf '\n== %s\n' "$*"; }

step "starting the test servers (Cassandra, S3, Bigtable emulator, spannertest, fakesnow)"
scripts/services.sh up cassandra s3 bigtable spanner snowflake
eval "$(scripts/services.sh env)"

work=$(mktemp -d "${TMPDIR:-/tmp}/lading-demo.XXXXXX")
front_pid=
trap '[[ -z $front_pid ]] || kill "$front_pid" 2>/dev/null; rm -rf "$work"' EXIT
bin=$work/bin
mkdir -p "$bin"
step "building exporter, shipper, loader"
go build -o "$bin/" ./cmd/exporter ./cmd/shipper ./cmd/loader ./internal/testenv/snowfront/snowfrontd
(cd scripts && go build -o "$bin/demogen" ./demo/gen)

hosts=$LADING_CASSANDRA_HOSTS
dumps=file://$work/dumps
s3="s3://$LADING_S3_BUCKET/demo/$(date -u +%Y%m%dT%H%M%SZ)-$$?endpoint=$LADING_S3_ENDPOINT"

step "1. generating $ROWS rows in $SRC_KS.orders"
"$bin/demogen" -hosts "$hosts" -drop "$DST_KS"
# spannertest keeps its one database while it runs, and Spanner index
# names are the database's: a run's own index and table names keep demo
# runs apart there.
run_id=$(date -u +%Y%m%dt%H%M%S)
"$bin/demogen" -hosts "$hosts" -keyspace "$SRC_KS" -rows "$ROWS" -index-tag "_$run_id"
"$bin/demogen" -hosts "$hosts" -count "$SRC_KS.orders,$SRC_KS.customers"

step "2. exporter: $SRC_KS.orders and $SRC_KS.customers -> $dumps"
for table in orders customers; do
	"$bin/exporter" --source "cassandra://$hosts" --table "$SRC_KS.$table" --dest "$dumps" \
		--batch demo --writetime --ttl --log-level warn
done

step "3. shipper: $dumps -> the S3 server"
"$bin/shipper" --from "$dumps" --to "$s3" --log-level warn

step "4. loader: S3 -> $DST_KS.orders (new keyspace), verify full"
"$bin/loader" --from "$s3" --to "cassandra://$hosts/$DST_KS" --create-keyspace --create-table \
	--verify full --report "$work/loader-report.json" --log-level warn

step "5. counts"
"$bin/demogen" -hosts "$hosts" -count "$SRC_KS.orders,$DST_KS.orders"
src=$("$bin/demogen" -hosts "$hosts" -count "$SRC_KS.orders" | awk '{print $2}')
dst=$("$bin/demogen" -hosts "$hosts" -count "$DST_KS.orders" | awk '{print $2}')
if [[ $src != "$dst" ]]; then
	echo "demo: FAILED: source has $src rows, restored table $dst" >&2
	exit 1
fi
echo "demo: OK: $dst rows exported, shipped, restored and verified (values, writetimes, TTLs)"

# The pipeline's real job: each table by its schema, the one with a
# secondary index to Spanner (with the index), the other to Bigtable (a
# fresh emulator instance each run; the emulator keeps instances apart).
bt_instance=demo-$run_id
sp_db=projects/lading-demo/instances/demo/databases/demo
sp_table=customers_$run_id
step "6. loader --route: indexed tables -> Spanner $sp_db (customers as $sp_table), the others -> Bigtable lading-demo/$bt_instance"
"$bin/loader" --from "$s3" --route "indexed=spanner://$sp_db,plain=bigtable://lading-demo/$bt_instance?family=cf" \
	--map "$SRC_KS.customers=$sp_table" --create-table --create-indexes --verify count --log-level warn
bt=$("$bin/demogen" -bigtable-count "lading-demo/$bt_instance/orders" | awk '{print $3}')
sp=$("$bin/demogen" -spanner-count "$sp_db/$sp_table" | awk '{print $3}')
customers=$("$bin/demogen" -hosts "$hosts" -count "$SRC_KS.customers" | awk '{print $2}')
echo "what landed where:"
echo "  $SRC_KS.orders    (no secondary index)       -> bigtable lading-demo/$bt_instance/orders: $bt rows read back"
echo "  $SRC_KS.customers (index customers_by_city) -> spanner $sp_db/$sp_table: $sp rows read back, index customers_by_city_$run_id"
if [[ $src != "$bt" || $customers != "$sp" ]]; then
	echo "demo: FAILED: orders $src rows in the source, $bt in Bigtable; customers $customers in the source, $sp in Spanner" >&2
	exit 1
fi
echo "demo: OK: $bt rows in Bigtable and $sp in Spanner, routed by schema and counted back"

# Snowflake: the stand-in is fakesnow with the front before it (the front
# answers CREATE STAGE, LIST, PUT and COPY INTO; see the Snowflake
# target's README). The loader creates an external stage over the S3
# dumps and COPYs the parts from it; the front reads them from the S3
# server.
sf_db=LADING_DEMO_$run_id
step "7. loader: S3 -> Snowflake stand-in $sf_db.RAW.orders (COPY INTO from an external stage), verify count"
"$bin/snowfrontd" -upstream "$LADING_SNOWFLAKE_HOST:$LADING_SNOWFLAKE_PORT" -s3-endpoint "$LADING_S3_ENDPOINT" \
	-addr-file "$work/snowfront.addr" 2>/dev/null &
front_pid=$!
for _ in $(seq 50); do [[ -s $work/snowfront.addr ]] && break; sleep 0.1; done
front=$(cat "$work/snowfront.addr")
sfq() { "$bin/snowfrontd" -connect "$front" -query "$1"; }
sfq "CREATE DATABASE \"$sf_db\"" >/dev/null
sfq "CREATE SCHEMA \"$sf_db\".\"RAW\"" >/dev/null
SNOWFLAKE_PASSWORD=lading-demo-not-a-secret "$bin/loader" --from "$s3" --table "$SRC_KS.orders" \
	--to "snowflake://demo@demo/$sf_db/RAW?host=${front%:*}&port=${front##*:}&protocol=http" \
	--create-table --storage-integration DEMO_S3 --verify count --log-level warn
sf=$(sfq "SELECT COUNT(*) FROM \"$sf_db\".\"RAW\".\"orders\"")
echo "a sample, as a Snowflake user would query it:"
sfq "SELECT * FROM \"$sf_db\".\"RAW\".\"orders\" ORDER BY 1, 2 LIMIT 3"
echo "  $SRC_KS.orders -> snowflake $sf_db.RAW.orders: $sf rows (COUNT(*))"
if [[ $src != "$sf" ]]; then
	echo "demo: FAILED: orders $src rows in the source, $sf in the Snowflake stand-in" >&2
	exit 1
fi
echo "demo: OK: $sf rows COPYed into the Snowflake stand-in and counted back"
