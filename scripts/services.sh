#!/usr/bin/env bash
# Local test servers for lading: Cassandra, an S3 server (versitygw), a GCS
# server (fake-gcs-server), the Bigtable emulator, spannertest (a fake
# Cloud Spanner, run by scripts/spannerd), a DynamoDB stand-in (dynalite,
# from npm) and a Snowflake stand-in (fakesnow from PyPI, over DuckDB, in
# its server mode, installed into a venv in the cache from
# scripts/fakesnow-requirements.txt with exact pins; needs python3 >= 3.9),
# all on 127.0.0.1.
#
#   scripts/services.sh up     [cassandra s3 gcs bigtable spanner dynamodb snowflake]   install what is missing, start, wait until ready
#                              (also cassandra41, cassandra40 by name: scripts/services-compat.sh)
#   scripts/services.sh down   [cassandra s3 gcs bigtable spanner dynamodb snowflake]   stop (and wipe the servers' data)
#   scripts/services.sh status [cassandra s3 gcs bigtable spanner dynamodb snowflake]   print state; exit 0 only if all are up and answer
#   scripts/services.sh env                                  print the `export VAR=value` lines tests use
#   scripts/services.sh install [cassandra s3 gcs bigtable spanner dynamodb snowflake]  only install (build/fetch) into the cache
#   scripts/services.sh logs   <service>                     print the tail of a server's log
#   scripts/services.sh nodetool <args...>                   run Cassandra's nodetool (JMX on 127.0.0.1:7199)
#   scripts/services.sh java                                 print the path of the JDK that runs Cassandra
#   scripts/services.sh tool <cqlping|svcinit|testfmt> ...   run one of the Go helpers in scripts/
#   scripts/services.sh tool staticcheck ...                 run the pinned staticcheck (built once into the cache)
#   scripts/services.sh tool chromium ...                    run Debian's chromium (installed once with apt-get, pinned)
#
# Installs are cached in ${LADING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lading};
# pid files, logs and data live in ${LADING_RUN_DIR:-${TMPDIR:-/tmp}/lading-services}.
# Needs: go, mvn and a JDK 17 (or 11); LADING_JAVA may name the java binary;
# node and npm for dynamodb.
set -euo pipefail

# ---- pinned versions --------------------------------------------------------
CASSANDRA_VERSION=5.0.9                 # org.apache.cassandra:cassandra-all, newest 5.0.x on Maven Central
MVN_DEPENDENCY_PLUGIN=3.8.1             # org.apache.maven.plugins:maven-dependency-plugin
VERSITYGW_VERSION=v1.8.0                # github.com/versity/versitygw
FAKE_GCS_VERSION=v1.56.1                # github.com/fsouza/fake-gcs-server
BIGTABLE_VERSION=v1.58.0                # cloud.google.com/go/bigtable (cmd/emulator)
DYNALITE_VERSION=4.0.0                  # npm dynalite (DynamoDB on LevelDB; in memory here)
FAKESNOW_VERSION=0.12.1                 # PyPI fakesnow; all pins in scripts/fakesnow-requirements.txt
STATICCHECK_VERSION=v0.8.2              # honnef.co/go/tools (cmd/staticcheck 2026.2.2; supports Go 1.26), for make lint
CHROMIUM_VERSION=156.0.8078.114-1~deb12u1  # Debian 12 package chromium (bookworm-security), for the status page's test

# ---- fixed contract (see `env`) ---------------------------------------------
HOST=127.0.0.1
CASSANDRA_PORT=9042
CASSANDRA_STORAGE_PORT=7010
CASSANDRA_JMX_PORT=7199
S3_PORT=7070
GCS_PORT=4443
BIGTABLE_PORT=8086
SPANNER_PORT=9010
DYNAMODB_PORT=4567
SNOWFLAKE_PORT=8090
S3_ACCESS=lading-test-access
S3_SECRET=lading-test-secret
BUCKETS=lading-test,lading-test2
ALL_SERVICES=(cassandra s3 gcs bigtable spanner dynamodb snowflake)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/services-cassandra.sh
source "$SCRIPT_DIR/services-cassandra.sh"
# shellcheck source=scripts/services-compat.sh
source "$SCRIPT_DIR/services-compat.sh"
CACHE=${LADING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lading}
RUN=${LADING_RUN_DIR:-${TMPDIR:-/tmp}/lading-services}
CASSANDRA_START_TIMEOUT=${LADING_CASSANDRA_TIMEOUT:-240}   # seconds
START_TIMEOUT=${LADING_START_TIMEOUT:-60}                  # seconds, other servers

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

print_env() {
	cat <<EOF
export LADING_CASSANDRA_HOSTS=$HOST:$CASSANDRA_PORT
export LADING_S3_ENDPOINT=http://$HOST:$S3_PORT
export LADING_S3_BUCKET=lading-test
export AWS_ACCESS_KEY_ID=$S3_ACCESS
export AWS_SECRET_ACCESS_KEY=$S3_SECRET
export AWS_REGION=us-east-1
export STORAGE_EMULATOR_HOST=$HOST:$GCS_PORT
export LADING_GCS_BUCKET=lading-test
export BIGTABLE_EMULATOR_HOST=$HOST:$BIGTABLE_PORT
export SPANNER_EMULATOR_HOST=$HOST:$SPANNER_PORT
export LADING_DYNAMODB_ENDPOINT=http://$HOST:$DYNAMODB_PORT
export LADING_SNOWFLAKE_HOST=$HOST
export LADING_SNOWFLAKE_PORT=$SNOWFLAKE_PORT
export LADING_SERVICES=1
EOF
	print_compat_env
}

# ---- helpers ----------------------------------------------------------------

port_of() {
	case $1 in
	cassandra) echo $CASSANDRA_PORT ;; s3) echo $S3_PORT ;; gcs) echo $GCS_PORT ;; bigtable) echo $BIGTABLE_PORT ;; spanner) echo $SPANNER_PORT ;; dynamodb) echo $DYNAMODB_PORT ;; snowflake) echo $SNOWFLAKE_PORT ;;
	cassandra41 | cassandra40) compat_ports "$1" | cut -d' ' -f1 ;;
	esac
}

# service_ports SERVICE: every port it listens on, the clients' first.
service_ports() {
	case $1 in
	cassandra) echo "$CASSANDRA_PORT $CASSANDRA_STORAGE_PORT $CASSANDRA_JMX_PORT" ;;
	cassandra41 | cassandra40) compat_ports "$1" ;;
	*) port_of "$1" ;;
	esac
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# pid of a service we started, or nothing.
svc_pid() {
	local f=$RUN/$1.pid pid
	[[ -f $f ]] || return 0
	pid=$(<"$f")
	if pid_alive "$pid" && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "LADING_SERVICES_TAG=$1"; then
		echo "$pid"
	fi
}

tail_log() {
	local f=$RUN/$1.log
	log "---- last lines of $f ----"
	[[ -f $f ]] && tail -n "${2:-40}" "$f" >&2
	if [[ $1 == cassandra* && -f $RUN/$1/system.log ]]; then
		log "---- last lines of $RUN/$1/system.log ----"
		tail -n "${2:-40}" "$RUN/$1/system.log" >&2
	fi
	log "----"
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"; }

# A java that can run Cassandra 5.0 (JDK 17 or 11).
find_java() {
	local c v
	for c in "${LADING_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
		[[ -n $c && -x $c ]] || continue
		v=$("$c" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
		if [[ $v == 17 || $v == 11 ]]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# ---- install ----------------------------------------------------------------

# go_tool NAME MODULE_PKG VERSION: build a pinned Go command into $CACHE/bin/NAME-VERSION.
go_tool() {
	local name=$1 pkg=$2 ver=$3 out=$CACHE/bin/$1-$3 tmp
	[[ -x $out ]] && return 0
	tmp=$(mktemp -d "$CACHE/tmp/go-$name.XXXXXX")
	log "building $pkg@$ver (once; cached in $CACHE/bin)"
	(cd "$tmp" && GOFLAGS='' GOWORK=off GOBIN="$tmp" go install "$pkg@$ver") || { rm -rf "$tmp"; return 1; }
	mv "$tmp/$(basename "$pkg")" "$out"
	rm -rf "$tmp"
}

helpers_hash() {
	(cd "$SCRIPT_DIR" && cat go.mod go.sum cqlping/*.go svcinit/*.go testfmt/*.go) | sha256sum | cut -c1-12
}

# The small Go helpers in scripts/ (own module): cqlping, svcinit, testfmt.
build_helpers() {
	local h out tmp
	h=$(helpers_hash)
	out=$CACHE/bin/helpers-$h
	[[ -x $out/svcinit && -x $out/cqlping && -x $out/testfmt ]] && return 0
	tmp=$(mktemp -d "$CACHE/tmp/helpers.XXXXXX")
	(cd "$SCRIPT_DIR" && GOFLAGS='' GOWORK=off go build -o "$tmp/" ./cqlping ./svcinit ./testfmt) || { rm -rf "$tmp"; return 1; }
	mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp" # lost a race with another build: fine
	find "$CACHE/bin" -maxdepth 1 -name 'helpers-*' -mtime +14 -exec rm -rf {} + 2>/dev/null || true
}

helper() { "$CACHE/bin/helpers-$(helpers_hash)/$1" "${@:2}"; }

spannerd_hash() {
	(cd "$SCRIPT_DIR" && cat go.mod go.sum spannerd/*.go) | sha256sum | cut -c1-12
}

# spannerd (scripts/spannerd): spannertest as a server, built apart from the
# helpers because it pulls in the Spanner client libraries.
build_spannerd() {
	local out tmp
	out=$CACHE/bin/spannerd-$(spannerd_hash)
	[[ -x $out ]] && return 0
	tmp=$(mktemp -d "$CACHE/tmp/spannerd.XXXXXX")
	(cd "$SCRIPT_DIR" && GOFLAGS='' GOWORK=off go build -o "$tmp/spannerd" ./spannerd) || { rm -rf "$tmp"; return 1; }
	mv "$tmp/spannerd" "$out"
	rm -rf "$tmp"
	find "$CACHE/bin" -maxdepth 1 -name 'spannerd-*' -mtime +14 -exec rm -f {} + 2>/dev/null || true
}

fakesnow_hash() {
	sha256sum <"$SCRIPT_DIR/fakesnow-requirements.txt" | cut -c1-12
}

fakesnow_home() { echo "$CACHE/fakesnow-$FAKESNOW_VERSION-$(fakesnow_hash)"; }

# install_venv HOME MODULE PIP_ARGS...: a Python venv at HOME holding what
# `pip install --no-deps PIP_ARGS` installs (exact pins: nothing is
# resolved), checked by importing MODULE; built aside and moved in whole,
# so HOME/.complete means a whole install.
install_venv() {
	local home=$1 module=$2 tmp
	shift 2
	[[ -f $home/.complete ]] && return 0
	need python3 "install Python 3 (with the venv module)"
	tmp=$(mktemp -d "$CACHE/tmp/venv.XXXXXX")
	python3 -m venv "$tmp/venv" || { rm -rf "$tmp"; return 1; }
	"$tmp/venv/bin/pip" install -q --no-deps "$@" || { rm -rf "$tmp"; return 1; }
	"$tmp/venv/bin/python" -c "import $module" || { rm -rf "$tmp"; return 1; }
	touch "$tmp/venv/.complete"
	rm -rf "$home"
	mv -T "$tmp/venv" "$home" 2>/dev/null || true # another install may have won the race
	rm -rf "$tmp"
}

# fakesnow: a venv with the exact pins of scripts/fakesnow-requirements.txt
# (fakesnow 0.12.1 needs duckdb 2.0.x and snowflake-connector-python < 4).
install_fakesnow() { install_venv "$(fakesnow_home)" fakesnow.server -r "$SCRIPT_DIR/fakesnow-requirements.txt"; }

dynalite_home() { echo "$CACHE/dynalite-$DYNALITE_VERSION"; }

# dynalite from npm at the exact version (its package-lock.json is kept
# beside it, so a re-install resolves the same tree).
install_dynalite() {
	local home tmp
	home=$(dynalite_home)
	[[ -f $home/.complete ]] && return 0
	need npm "install Node.js 18 or later with npm"
	tmp=$(mktemp -d "$CACHE/tmp/dynalite.XXXXXX")
	(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --save-exact "dynalite@$DYNALITE_VERSION") || { rm -rf "$tmp"; return 1; }
	[[ -f $tmp/node_modules/dynalite/cli.js ]] || { log "dynalite cli.js missing after npm install"; rm -rf "$tmp"; return 1; }
	touch "$tmp/.complete"
	rm -rf "$home"
	mv -T "$tmp" "$home" 2>/dev/null || rm -rf "$tmp" # another install may have won the race
}

install_one() {
	case $1 in
	cassandra) install_cassandra ;;
	s3) go_tool versitygw github.com/versity/versitygw/cmd/versitygw $VERSITYGW_VERSION ;;
	gcs) go_tool fake-gcs-server github.com/fsouza/fake-gcs-server $FAKE_GCS_VERSION ;;
	bigtable) go_tool emulator cloud.google.com/go/bigtable/cmd/emulator $BIGTABLE_VERSION ;;
	spanner) build_spannerd ;;
	dynamodb) install_dynalite ;;
	snowflake) install_fakesnow ;;
	cassandra41 | cassandra40) install_compat "$1" ;;
	helpers) build_helpers ;;
	esac
}

# install_service SERVICE: install it if missing; log in $RUN/install-SERVICE.log.
install_service() {
	local s=$1 t=$SECONDS
	install_one_needed "$s" || return 0
	log "installing $s (once; cached in $CACHE)"
	if ! install_one "$s" >"$RUN/install-$s.log" 2>&1; then
		log "installing $s failed; last lines of $RUN/install-$s.log:"
		tail -n 40 "$RUN/install-$s.log" >&2
		return 1
	fi
	log "installed $s in $((SECONDS - t))s"
}

# install SERVICE...: the helpers and everything missing, in parallel.
install() {
	need go "install Go"
	mkdir -p "$CACHE/bin" "$CACHE/tmp" "$RUN"
	local s pids=() failed=0 i
	for s in helpers "$@"; do
		install_service "$s" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || failed=1; done
	return $failed
}

install_one_needed() {
	case $1 in
	cassandra) [[ ! -f $(cassandra_home)/.complete ]] ;;
	s3) [[ ! -x $CACHE/bin/versitygw-$VERSITYGW_VERSION ]] ;;
	gcs) [[ ! -x $CACHE/bin/fake-gcs-server-$FAKE_GCS_VERSION ]] ;;
	bigtable) [[ ! -x $CACHE/bin/emulator-$BIGTABLE_VERSION ]] ;;
	spanner) [[ ! -x $CACHE/bin/spannerd-$(spannerd_hash) ]] ;;
	dynamodb) [[ ! -f $(dynalite_home)/.complete ]] ;;
	snowflake) [[ ! -f $(fakesnow_home)/.complete ]] ;;
	cassandra41 | cassandra40) ! compat_installed "$1" ;;
	helpers) local h
		h=$(helpers_hash)
		[[ ! -x $CACHE/bin/helpers-$h/svcinit || ! -x $CACHE/bin/helpers-$h/cqlping || ! -x $CACHE/bin/helpers-$h/testfmt ]] ;;
	esac
}

# ---- start ------------------------------------------------------------------

# spawn SERVICE CMD...: start CMD detached (own session), output to $RUN/SERVICE.log.
spawn() {
	local s=$1
	shift
	rm -f "$RUN/$s.pid"
	# Own session (survives the caller's Ctrl-C), no inherited fds beyond 0-2 (our locks).
	# shellcheck disable=SC2016 # expanded by the inner bash
	env LADING_SERVICES_TAG="$s" setsid bash -c '
		for fd in /proc/$$/fd/*; do n=${fd##*/}; ((n > 2)) && exec {n}>&-; done 2>/dev/null
		echo $$ >"$0"
		exec "$@"' "$RUN/$s.pid" "$@" >"$RUN/$s.log" 2>&1 </dev/null &
	local i
	for i in $(seq 50); do [[ -s $RUN/$s.pid ]] && return 0; sleep 0.1; done
	die "$s did not start"
}

# The module flags Cassandra 5.0 needs on JDK 17 (as its conf/jvm17-server.options).
jpms_opts() {
	cat <<EOF
--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED
--add-exports=java.sql/java.sql=ALL-UNNAMED
--add-exports=java.base/java.lang.ref=ALL-UNNAMED
--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED
--add-opens=java.base/java.lang.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED
--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED
--add-opens=java.base/jdk.internal.math=ALL-UNNAMED
--add-opens=java.base/jdk.internal.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED
--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED
--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
--add-opens=java.base/java.lang=ALL-UNNAMED
--add-opens=java.base/java.util=ALL-UNNAMED
EOF
}

# 5.0's JVM flags: the common ones (services-cassandra.sh), its heap and
# the JDK 17 module flags.
cassandra_jvm_opts() {
	local lib=$1
	cat <<EOF
-Xms512m
-Xmx1g
-XX:+ParallelRefProcEnabled
-XX:MaxTenuringThreshold=1
-XX:G1HeapRegionSize=16m
-XX:MaxDirectMemorySize=512m
-Djava.security.manager=allow
$(jpms_opts)
-Dio.netty.allocator.useCacheForAllThreads=true
-Dio.netty.allocator.maxOrder=11
EOF
	cassandra_jvm_common "$lib/jamm-0.4.0.jar" "$CASSANDRA_JMX_PORT"
}

# 5.0's cassandra.yaml: the common settings and 5.0's names of the others.
write_cassandra_conf() {
	local d=$1
	{
		cassandra_yaml lading-test "$d" "$CASSANDRA_STORAGE_PORT" "$CASSANDRA_PORT"
		cat <<EOF
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
user_defined_functions_enabled: false
materialized_views_enabled: true
sasi_indexes_enabled: true
read_request_timeout: 10000ms
range_request_timeout: 20000ms
write_request_timeout: 10000ms
counter_write_request_timeout: 10000ms
request_timeout: 20000ms
EOF
	} >"$d/cassandra.yaml"
	write_cassandra_logback "$d"
}

start_cassandra() {
	local java home opts=()
	java=$(find_java) || die "no JDK 17 (or 11) found for Cassandra: install openjdk-17-jre-headless or set LADING_JAVA"
	home=$(cassandra_home)
	cassandra_dir cassandra
	write_cassandra_conf "$RUN/cassandra"
	mapfile -t opts < <(cassandra_jvm_opts "$home/lib")
	run_cassandra cassandra "$java" "$home" "${opts[@]}"
}

start_cassandra41() { start_compat cassandra41; }
start_cassandra40() { start_compat cassandra40; }

start_s3() {
	local d=$RUN/s3
	rm -rf "$d" && mkdir -p "$d/root"
	spawn s3 env ROOT_ACCESS_KEY_ID=$S3_ACCESS ROOT_SECRET_ACCESS_KEY=$S3_SECRET \
		"$CACHE/bin/versitygw-$VERSITYGW_VERSION" --port "$HOST:$S3_PORT" --region us-east-1 --quiet \
		posix "$d/root"
}

start_gcs() {
	local d=$RUN/gcs
	rm -rf "$d" && mkdir -p "$d/root"
	spawn gcs "$CACHE/bin/fake-gcs-server-$FAKE_GCS_VERSION" -scheme http -host $HOST -port $GCS_PORT \
		-backend filesystem -filesystem-root "$d/root" -public-host "$HOST:$GCS_PORT" -log-level warn
}

start_bigtable() {
	spawn bigtable "$CACHE/bin/emulator-$BIGTABLE_VERSION" -host $HOST -port $BIGTABLE_PORT
}

start_spanner() {
	spawn spanner "$CACHE/bin/spannerd-$(spannerd_hash)" -addr "$HOST:$SPANNER_PORT"
}

# dynalite keeps its tables in memory (no --path): down wipes them. Table
# state changes take no time, so a created table is ACTIVE at once.
start_dynamodb() {
	spawn dynamodb node "$(dynalite_home)/node_modules/dynalite/cli.js" --host $HOST --port $DYNAMODB_PORT \
		--createTableMs 0 --deleteTableMs 0 --updateTableMs 0
}

start_snowflake() {
	local d=$RUN/snowflake
	rm -rf "$d" && mkdir -p "$d/data"
	# Through the venv's python: the script's #! line names the build directory.
	spawn snowflake "$(fakesnow_home)/bin/python" "$(fakesnow_home)/bin/fakesnow" -s --host $HOST -p $SNOWFLAKE_PORT -d "$d/data"
}

# healthy SERVICE [TIMEOUT_SECONDS]: a real request succeeds (and buckets exist).
healthy() {
	local t=${2:-5}
	export AWS_ACCESS_KEY_ID=$S3_ACCESS AWS_SECRET_ACCESS_KEY=$S3_SECRET AWS_REGION=us-east-1
	case $1 in
	cassandra) helper cqlping -q -hosts "$HOST:$CASSANDRA_PORT" -timeout "${t}s" 2>/dev/null ;;
	cassandra41 | cassandra40) helper cqlping -q -hosts "$HOST:$(port_of "$1")" -timeout "${t}s" 2>/dev/null ;;
	s3) helper svcinit s3init -endpoint "http://$HOST:$S3_PORT" -buckets "$BUCKETS" -timeout "${t}s" 2>/dev/null ;;
	gcs) helper svcinit gcsinit -endpoint "http://$HOST:$GCS_PORT" -buckets "$BUCKETS" -timeout "${t}s" 2>/dev/null ;;
	bigtable) helper svcinit waitport -addr "$HOST:$BIGTABLE_PORT" -timeout "${t}s" 2>/dev/null ;;
	spanner) helper svcinit waitport -addr "$HOST:$SPANNER_PORT" -timeout "${t}s" 2>/dev/null ;;
	dynamodb) helper svcinit waitport -addr "$HOST:$DYNAMODB_PORT" -timeout "${t}s" 2>/dev/null ;;
	snowflake) helper svcinit waitport -addr "$HOST:$SNOWFLAKE_PORT" -timeout "${t}s" 2>/dev/null ;;
	esac
}

# wait_ready SERVICE TIMEOUT: poll until healthy, failing early if the process dies.
wait_ready() {
	local s=$1 deadline=$((SECONDS + $2)) pid
	while ((SECONDS < deadline)); do
		pid=$(svc_pid "$s")
		if [[ -z $pid ]]; then
			log "$s exited during startup"
			tail_log "$s"
			return 1
		fi
		healthy "$s" 5 && return 0
	done
	log "$s did not become ready within $2s"
	tail_log "$s"
	return 1
}

up() {
	local s p pid todo=() started=() failed=() pids=() i hpid t0=$SECONDS
	need go "install Go"
	mkdir -p "$CACHE/bin" "$CACHE/tmp"
	# The helpers check health; build them first only if something runs already.
	for s in "$@"; do
		[[ -z $(svc_pid "$s") ]] || { install_service helpers || die "building the helpers in scripts/ failed"; break; }
	done
	for s in "$@"; do
		pid=$(svc_pid "$s")
		if [[ -n $pid ]]; then
			if healthy "$s" 20; then
				log "$s already running (pid $pid)"
				continue
			fi
			log "$s (pid $pid) does not answer; restarting it"
			stop_one "$s"
		fi
		todo+=("$s")
	done
	((${#todo[@]})) || return 0
	for s in "${todo[@]}"; do
		for p in $(service_ports "$s"); do
			port_open "$p" && die "port $HOST:$p for $s is taken by another process (not started by this script)"
		done
	done
	# Each server starts as soon as it is installed (on a cold cache, Cassandra
	# boots while the Go servers still build).
	install_service helpers &
	hpid=$!
	for s in "${todo[@]}"; do
		(install_service "$s" && "start_$s") &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		if wait "${pids[$i]}"; then started+=("${todo[$i]}"); else failed+=("${todo[$i]}"); fi
	done
	if ! wait $hpid; then
		for s in "${started[@]}"; do stop_one "$s" keep; done
		die "building the helpers in scripts/ failed"
	fi
	# Fast servers first, Cassandra last (it takes the longest).
	for s in s3 gcs bigtable spanner dynamodb snowflake cassandra "${COMPAT_SERVICES[@]}"; do
		[[ " ${started[*]} " == *" $s "* ]] || continue
		if wait_ready "$s" "$([[ $s == cassandra* ]] && echo "$CASSANDRA_START_TIMEOUT" || echo "$START_TIMEOUT")"; then
			log "$s ready on $HOST:$(port_of "$s") (pid $(svc_pid "$s"), $((SECONDS - t0))s)"
		else
			failed+=("$s")
		fi
	done
	if ((${#failed[@]})); then
		for s in "${failed[@]}"; do stop_one "$s" keep; done
		die "failed to start: ${failed[*]} (logs in $RUN)"
	fi
}

# stop_one SERVICE [keep] [PID]: stop it (SIGTERM, SIGKILL after 30s), wipe its data unless keep.
stop_one() {
	local s=$1 pid=${3:-} i
	[[ -n $pid ]] || pid=$(svc_pid "$s")
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 300); do pid_alive "$pid" || break; sleep 0.1; done
		if pid_alive "$pid"; then
			log "$s (pid $pid) did not stop in 30s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			for i in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
		fi
		log "$s stopped"
	fi
	rm -f "$RUN/$s.pid"
	# Keep a failed server's files for a look; otherwise free the disk.
	[[ ${2:-} == keep ]] || rm -rf "${RUN:?}/$s"/{data,commitlog,saved_caches,hints,cdc_raw,root}
}

down() {
	local s pids=() i
	[[ -d $RUN ]] || return 0
	# Signal all first so they shut down in parallel (Cassandra takes a few seconds).
	for s in "$@"; do
		pids+=("$(svc_pid "$s")")
		[[ -z ${pids[-1]} ]] || kill -TERM "${pids[-1]}" 2>/dev/null || true
	done
	for i in "${!pids[@]}"; do stop_one "${@:i+1:1}" "" "${pids[$i]}"; done
}

status() {
	local s pid rc=0
	for s in "$@"; do
		pid=$(svc_pid "$s")
		if [[ -z $pid ]]; then
			printf '%-10s stopped\n' "$s"
			rc=3
		elif [[ -x $CACHE/bin/helpers-$(helpers_hash)/svcinit ]] && healthy "$s" 10; then
			printf '%-10s running  pid %-7s %s:%s  ready\n' "$s" "$pid" $HOST "$(port_of "$s")"
		else
			printf '%-10s running  pid %-7s %s:%s  NOT ANSWERING (log: %s)\n' "$s" "$pid" $HOST "$(port_of "$s")" "$RUN/$s.log"
			rc=3
		fi
	done
	return $rc
}

nodetool() {
	local java home
	java=$(find_java) || die "no JDK 17 (or 11) found"
	home=$(cassandra_home)
	[[ -f $home/.complete ]] || die "Cassandra is not installed; run: $0 install cassandra"
	local opts=()
	mapfile -t opts < <(jpms_opts)
	mkdir -p "$RUN"
	cat >"$RUN/nodetool-logback.xml" <<EOF
<configuration><appender name="E" class="ch.qos.logback.core.ConsoleAppender"><target>System.err</target>
<encoder><pattern>%-5level %msg%n</pattern></encoder></appender><root level="ERROR"><appender-ref ref="E"/></root></configuration>
EOF
	"$java" -Xmx128m "${opts[@]}" -cp "$home/lib/*" -Dcassandra.logdir="$RUN" \
		-Dlogback.configurationFile="file://$RUN/nodetool-logback.xml" \
		org.apache.cassandra.tools.NodeTool -h $HOST -p $CASSANDRA_JMX_PORT "$@"
}

# chromium_install: Debian's chromium, the pinned version, once (dpkg is
# the cache). Security updates replace a Debian version in the archive;
# when the pin is gone the current version is installed and the log says
# which, so the pin can be moved.
chromium_install() {
	local have
	have=$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)
	[[ -n $have ]] && return 0
	command -v apt-get >/dev/null 2>&1 || { log "chromium: no apt-get here"; return 1; }
	[[ $(id -u) == 0 ]] || { log "chromium: installing needs root (apt-get)"; return 1; }
	log "installing chromium $CHROMIUM_VERSION (once, with apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || return 1
	# A font, so that screenshots show text (chromium only recommends one).
	if ! apt-get install -y -qq --no-install-recommends "chromium=$CHROMIUM_VERSION" fonts-dejavu-core >&2; then
		log "chromium $CHROMIUM_VERSION is no longer in the archive; installing $(apt-cache policy chromium | sed -n 's/^ *Candidate: //p') (move CHROMIUM_VERSION)"
		apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2 || return 1
	fi
}

# ---- main -------------------------------------------------------------------

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	env) print_env; return ;;
	java) find_java || die "no JDK 17 (or 11) found: install openjdk-17-jre-headless or set LADING_JAVA"; return ;;
	nodetool) nodetool "$@"; return ;;
	tool) # tool NAME ARGS...: run a helper from scripts/ (cqlping, svcinit, testfmt), building it if needed
		mkdir -p "$CACHE/bin" "$CACHE/tmp"
		if [[ ${1:-} == staticcheck ]]; then
			go_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION" >&2 || die "building staticcheck $STATICCHECK_VERSION failed"
			exec "$CACHE/bin/staticcheck-$STATICCHECK_VERSION" "${@:2}"
		fi
		if [[ ${1:-} == chromium ]]; then
			chromium_install || die "installing chromium failed"
			exec chromium "${@:2}"
		fi
		install_one_needed helpers && { build_helpers >&2 || die "building helpers failed"; }
		exec "$CACHE/bin/helpers-$(helpers_hash)/$1" "${@:2}" ;;
	logs) [[ $# -eq 1 ]] || die "usage: $0 logs <service>"; tail_log "$1" 100 2>&1; return ;;
	up | down | status | install) ;;
	*) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	local s services=()
	for s in "$@"; do
		[[ " ${ALL_SERVICES[*]} ${COMPAT_SERVICES[*]} " == *" $s "* ]] || die "unknown service '$s' (known: ${ALL_SERVICES[*]} ${COMPAT_SERVICES[*]})"
		[[ " ${services[*]} " == *" $s "* ]] || services+=("$s")
	done
	((${#services[@]})) || services=("${ALL_SERVICES[@]}")
	mkdir -p "$RUN"
	# One invocation at a time (several developers' test runs may share a machine).
	exec 9>"$RUN/.lock"
	flock 9
	case $cmd in
	up) up "${services[@]}" ;;
	down) down "${services[@]}" ;;
	status) status "${services[@]}" ;;
	install) install "${services[@]}" ;;
	esac
}

main "$@"
