#!/usr/bin/env bash
# The side-by-side benchmark (`make bench`): generates a table into the local
# Cassandra with scripts/gen, runs lading's exporter, shipper and loader and
# the tools users would otherwise pick (DSBulk, cqlsh COPY, rclone) on the
# same data, and writes bench/results.md and bench/results.json.
#
#   scripts/bench.sh run       install the peers if missing, then run the bench
#   scripts/bench.sh install   only install the peers into the cache
#   scripts/bench.sh rclone    install rclone if missing and print its path
#                              (scripts/bench-ship.sh uses the same rclone)
#
# Environment:
#   LADING_BENCH_ROWS     rows generated (default 1000000, about 1.1 GB of
#                         values: sized so that the whole bench, peers
#                         included, stays under 45 minutes on 2 cores)
#   LADING_BENCH_REPEAT   runs of each tool (default 3; slow peers fewer, see
#                         LADING_BENCH_SLOW_REPEAT, default 1)
#   LADING_BENCH_SEED     the generator's seed (default 1)
#   LADING_BENCH_PARALLEL the parallelism budget every tool gets (default 4)
#   LADING_BENCH_EMULATOR_ROWS  rows of the Bigtable, Spanner and Snowflake load
#                         benchmarks (default: LADING_BENCH_ROWS, at most 200000)
#   LADING_BENCH_OUT      output directory (default bench/)
#   LADING_BENCH_ONLY     comma-separated groups to run (export,ship,load,emulators;
#                         ship and load use the export group's output)
#
# The servers must be up (scripts/test.sh bench starts them). Peers are
# installed once into the cache of scripts/services.sh, pinned below; a peer
# that cannot be installed is reported in the results with the reason.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# ---- pinned versions --------------------------------------------------------
DSBULK_VERSION=1.10.0                   # com.datastax.oss:dsbulk-* on Maven Central
MVN_DEPENDENCY_PLUGIN=3.8.1             # org.apache.maven.plugins:maven-dependency-plugin
CQLSH_VERSION=6.2.2                     # PyPI cqlsh
RCLONE_VERSION=v1.76.0                  # github.com/rclone/rclone (as internal/ship's benchmark)

CACHE=${LADING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lading}
SVC=scripts/services.sh

log() { printf 'bench: %s\n' "$*" >&2; }

dsbulk_home() { echo "$CACHE/dsbulk-$DSBULK_VERSION"; }
cqlsh_home() { echo "$CACHE/cqlsh-$CQLSH_VERSION"; }
rclone_bin() { echo "$CACHE/rclone-$RCLONE_VERSION/rclone"; }

# DSBulk's jars: the runner, the unload and load workflows, the JSON and CSV
# connectors and the reactor executor and batcher, with their dependencies.
install_dsbulk() {
	local home tmp a deps=""
	home=$(dsbulk_home)
	[[ -f $home/.complete ]] && return 0
	tmp=$(mktemp -d "$CACHE/tmp/dsbulk.XXXXXX")
	for a in dsbulk-runner dsbulk-workflow-unload dsbulk-workflow-load dsbulk-connectors-json \
		dsbulk-connectors-csv dsbulk-executor-reactor dsbulk-batcher-reactor; do
		deps+="<dependency><groupId>com.datastax.oss</groupId><artifactId>$a</artifactId><version>$DSBULK_VERSION</version></dependency>"
	done
	cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lading</groupId><artifactId>dsbulk-fetch</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
EOF
	(cd "$tmp" && mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" \
		"org.apache.maven.plugins:maven-dependency-plugin:$MVN_DEPENDENCY_PLUGIN:copy-dependencies" \
		-DincludeScope=runtime -DoutputDirectory="$tmp/home/lib") || { rm -rf "$tmp"; return 1; }
	[[ -f $tmp/home/lib/dsbulk-runner-$DSBULK_VERSION.jar ]] || { log "dsbulk-runner jar missing after mvn"; rm -rf "$tmp"; return 1; }
	touch "$tmp/home/.complete"
	rm -rf "$home"
	mv -T "$tmp/home" "$home" 2>/dev/null || true
	rm -rf "$tmp"
}

# cqlsh in a venv of its own (pinned; its driver is whatever that pins).
install_cqlsh() {
	local home tmp
	home=$(cqlsh_home)
	[[ -f $home/.complete ]] && return 0
	tmp=$(mktemp -d "$CACHE/tmp/cqlsh.XXXXXX")
	python3 -m venv "$tmp/venv" || { rm -rf "$tmp"; return 1; }
	"$tmp/venv/bin/pip" install -q "cqlsh==$CQLSH_VERSION" || { rm -rf "$tmp"; return 1; }
	"$tmp/venv/bin/pip" freeze >"$tmp/venv/requirements.lock"
	touch "$tmp/venv/.complete"
	rm -rf "$home"
	mv -T "$tmp/venv" "$home" 2>/dev/null || true
	rm -rf "$tmp"
}

install_rclone() {
	local bin tmp
	bin=$(rclone_bin)
	[[ -x $bin ]] && return 0
	tmp=$(mktemp -d "$CACHE/tmp/rclone.XXXXXX")
	(cd "$tmp" && GOFLAGS='' GOWORK=off GOBIN="$tmp" go install "github.com/rclone/rclone@$RCLONE_VERSION") || { rm -rf "$tmp"; return 1; }
	mkdir -p "$(dirname "$bin")"
	mv "$tmp/rclone" "$bin"
	rm -rf "$tmp"
}

# install: every peer, in parallel; each one's log (and failure) in
# $OUT/install-PEER.log, which the results quote for a peer that failed.
install() {
	local p pids=() rc=0 i
	mkdir -p "$CACHE/tmp" "$OUT"
	for p in dsbulk cqlsh rclone; do
		rm -f "$OUT/install-$p.failed"
		( "install_$p" >"$OUT/install-$p.log" 2>&1 || { tail -n 20 "$OUT/install-$p.log" >"$OUT/install-$p.failed"; exit 1; } ) &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || { log "installing a peer failed (see $OUT/install-*.failed)"; rc=1; }; done
	return $rc
}

OUT=${LADING_BENCH_OUT:-bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

case ${1:-run} in
install) install ;;
rclone) mkdir -p "$CACHE/tmp"; install_rclone >&2 && rclone_bin ;;
run)
	install || log "going on without the peers that failed to install; the results name them"
	log "rows ${LADING_BENCH_ROWS:-1000000}, runs ${LADING_BENCH_REPEAT:-3} (slow peers ${LADING_BENCH_SLOW_REPEAT:-1}), output in $OUT/"
	make -s build
	mkdir -p "$OUT/bin"
	(cd scripts && GOFLAGS='' GOWORK=off go build -o "$OUT/bin/" ./gen)
	go test -c -o "$OUT/bin/export.test" ./internal/export
	java=$("$SVC" java) || java=""
	exec go run ./internal/benchrun \
		-out "$OUT" -gen "$OUT/bin/gen" -bin bin -export-test "$OUT/bin/export.test" \
		-java "$java" -dsbulk "$(dsbulk_home)/lib" -cqlsh "$(cqlsh_home)/bin/python $(cqlsh_home)/bin/cqlsh" -rclone "$(rclone_bin)" \
		-run-dir "${LADING_RUN_DIR:-${TMPDIR:-/tmp}/lading-services}"
	;;
*) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
