# shellcheck shell=bash
# make test-compat (scripts/test.sh compat): the Cassandra source and
# restore suites and the compatibility tests (TestCompat*, TestReach*)
# against each older release in
# COMPAT_SERVICES (default: cassandra41 cassandra40, scripts/services-compat.sh),
# one at a time, each started for its turn and stopped after it. The 5.0
# server (started by test.sh) is the restore target of the dumps made
# from the older ones. Cassandra 4.0 is started announcing 127.0.0.2 as
# its address, where nothing listens (a node whose own address cannot be
# reached). Sourced by scripts/test.sh, which provides SVC, RUN,
# GOTESTFLAGS and TEST_TIMEOUT.

COMPAT_SERVICES=${COMPAT_SERVICES:-cassandra41 cassandra40}

# compat_one SERVICE: its tests; the server is up.
compat_one() {
	local s=$1 hosts rc=0
	case $s in
	cassandra41) hosts=$LADING_CASSANDRA41_HOSTS; export LADING_COMPAT_TLS_DIR=$LADING_CASSANDRA41_TLS_DIR ;;
	cassandra40) hosts=$LADING_CASSANDRA40_HOSTS; unset LADING_COMPAT_TLS_DIR ;;
	*) echo "test-compat: unknown service $s" >&2; return 1 ;;
	esac
	export LADING_COMPAT_HOSTS=$hosts LADING_COMPAT_PIDFILE=$RUN/$s.pid
	# How the node-restart test brings the node back on its kept data.
	export LADING_COMPAT_RESTART="LADING_COMPAT_KEEP_DATA=1 $(realpath "$SVC") up $s"
	echo "test-compat: $s on $hosts"
	# The older server as the exporter's source: the source suite and the
	# compatibility tests of the exporter.
	# shellcheck disable=SC2086 # GOTESTFLAGS is a word list
	LADING_CASSANDRA_HOSTS=$hosts go test $GOTESTFLAGS -timeout "$TEST_TIMEOUT" \
		-run 'TestCassandraConformance|TestCompat' ./internal/source/cassandra || rc=1
	# Reaching the node only through a contact point (4.0 announces an
	# address where nothing listens).
	# shellcheck disable=SC2086
	LADING_CASSANDRA_HOSTS=$hosts go test $GOTESTFLAGS -timeout "$TEST_TIMEOUT" -run 'TestReach' ./internal/cql || rc=1
	# Dumps of the older server restored into 5.0 (and, over TLS, into 4.1).
	# shellcheck disable=SC2086
	go test $GOTESTFLAGS -timeout "$TEST_TIMEOUT" -run 'TestCompat' ./internal/load/targets/cassandra || rc=1
	# The restore suite with the older server as source and target.
	# shellcheck disable=SC2086
	LADING_CASSANDRA_HOSTS=$hosts go test $GOTESTFLAGS -timeout "$TEST_TIMEOUT" -run 'TestConformance$' ./internal/load/targets/cassandra || rc=1
	return $rc
}

run_compat() {
	local s rc=0 t0
	for s in $COMPAT_SERVICES; do
		t0=$SECONDS
		# A fresh start: 4.0's announced address is set at start.
		"$SVC" down "$s" >/dev/null 2>&1
		if ! LADING_CASSANDRA40_BROADCAST_RPC=127.0.0.2 "$SVC" up "$s"; then
			rc=1
			continue
		fi
		compat_one "$s" || rc=1
		"$SVC" down "$s" || true
		echo "test-compat: $s done in $((SECONDS - t0))s"
	done
	return $rc
}
