#!/usr/bin/env bash
# Benchmark the shipper against rclone on the local test servers: ship about
# 2 GB (LADING_BENCH_SHIP_BYTES) from the S3 server to the GCS server with the
# shipper binary at its defaults, then copy the same files with
# `rclone copy --transfers 4`, and print MB/s and peak RSS of both.
#
#   scripts/bench-ship.sh [go test flags...]
#
# rclone is the one scripts/bench.sh pins and builds once into the cache
# (`make bench` compares the shipper with it too), unless LADING_RCLONE
# names a binary. The servers are started if needed and left running (other
# test runs may share them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/services.sh up s3 gcs
eval "$(scripts/services.sh env)"
export LADING_REQUIRE_SERVICES=1
LADING_RCLONE=${LADING_RCLONE:-$(scripts/bench.sh rclone)}
export LADING_RCLONE
go test -run '^$' -bench '^BenchmarkShipS3ToGCS$' -benchtime 1x -timeout 60m "$@" ./internal/ship
