#!/usr/bin/env bash
# Runs the Go tests against the real test servers, always stopping them after.
#
#   scripts/test.sh test    go test ./... (packages in RACE_PKGS with -race), then lint
#   scripts/test.sh bench   scripts/bench.sh run (bench/results.md), then go test -run '^$' -bench . -benchmem ./...
#   scripts/test.sh chaos   go test -tags chaos -run Chaos -v ./... (the pipeline soak, internal/e2e)
#   scripts/test.sh lint    gofmt -l must print nothing; go vet; go mod tidy -diff; staticcheck
#   scripts/test.sh compat  the Cassandra source suite and TestCompat* on Cassandra 4.1 and 4.0 (scripts/test-compat.sh)
#
# Environment: RACE_PKGS (default "./pkg/objstore/... ./internal/..."),
# GOTESTFLAGS (extra flags for go test, default "-count=1"),
# TEST_TIMEOUT (default 25m), CHAOS_TIMEOUT (default 60m), SERVICES (default: all servers).
# The soak takes LADING_CHAOS_ROWS (default 300000) and LADING_CHAOS_SEED (replay).
# Tests see the variables of `scripts/services.sh env` and LADING_REQUIRE_SERVICES=1,
# so integration tests fail instead of skipping when a server is missing.
# Several runs may share the servers on one machine: each registers a lease in
# the run directory, and the servers are stopped when the last one ends.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
SVC=scripts/services.sh
RACE_PKGS=${RACE_PKGS:-./pkg/objstore/... ./internal/...}
GOTESTFLAGS=${GOTESTFLAGS:--count=1}
TEST_TIMEOUT=${TEST_TIMEOUT:-25m}
SERVICES=${SERVICES:-}
RUN=${LADING_RUN_DIR:-${TMPDIR:-/tmp}/lading-services}

lint() {
	local rc=0 out
	out=$(gofmt -l . 2>&1)
	if [[ -n $out ]]; then
		echo "lint: gofmt -l lists files that need gofmt:" >&2
		echo "$out" >&2
		rc=1
	fi
	go vet ./... || rc=1
	# The soak (make chaos) is behind a build tag: vet it too, so that it
	# keeps compiling while nothing runs it.
	go vet -tags chaos ./internal/e2e/ || rc=1
	(cd scripts && GOWORK=off go vet ./...) || rc=1
	# go.mod and go.sum must be what go mod tidy makes them (direct
	# dependencies not marked indirect, nothing missing or unused).
	go mod tidy -diff || { echo "lint: go.mod/go.sum are not tidy: run go mod tidy" >&2; rc=1; }
	(cd scripts && GOWORK=off go mod tidy -diff) || { echo "lint: scripts/go.mod is not tidy: run go mod tidy in scripts/" >&2; rc=1; }
	# staticcheck (default checks), pinned in services.sh and built once
	# into the cache. A check that is only noise is turned off in a
	# staticcheck.conf beside go.mod, with a comment saying why.
	"$SVC" tool staticcheck ./... || rc=1
	(cd scripts && GOWORK=off ../"$SVC" tool staticcheck ./...) || rc=1
	((rc == 0)) && echo "lint: ok"
	return $rc
}

LEASES=$RUN/leases

# with_lease_lock CMD...: run CMD while holding the lease lock.
with_lease_lock() {
	mkdir -p "$LEASES"
	(
		flock 8
		"$@"
	) 8>"$RUN/.lease-lock"
}

# shellcheck disable=SC2317 # called through with_lease_lock
register_and_up() {
	echo $$ >"$LEASES/$$"
	# shellcheck disable=SC2086 # SERVICES is a word list
	"$SVC" up $SERVICES
}

services_up() {
	with_lease_lock register_and_up || return 1
	eval "$("$SVC" env)"
	export LADING_REQUIRE_SERVICES=1
}

# shellcheck disable=SC2317 # called through with_lease_lock
stop_if_last() {
	local f others=()
	rm -f "$LEASES/$$"
	for f in "$LEASES"/*; do
		[[ -f $f ]] || continue
		if kill -0 "${f##*/}" 2>/dev/null; then others+=("${f##*/}"); else rm -f "$f"; fi
	done
	if ((${#others[@]})); then
		echo "test.sh: leaving the test servers running for other test runs (pids ${others[*]})" >&2
		return 0
	fi
	# shellcheck disable=SC2086
	"$SVC" down $SERVICES >"$RUN/down.log" 2>&1 || { echo "test.sh: stopping the test servers failed:" >&2; cat "$RUN/down.log" >&2; }
}

services_down() {
	[[ -f $LEASES/$$ ]] || return 0
	with_lease_lock stop_if_last
}

# existing PATTERN...: the patterns whose directory exists (go test fails on a missing one).
existing() {
	local p
	for p in "$@"; do
		[[ -d ${p%/...} ]] && echo "$p"
	done
}

run_tests() {
	local summary=$RUN/test-summary.txt race nonrace rc
	mkdir -p "$RUN"
	rm -f "$summary"
	# shellcheck disable=SC2046,SC2086
	mapfile -t race < <(existing $RACE_PKGS | xargs -r go list -e 2>/dev/null | sort -u)
	# shellcheck disable=SC2086
	mapfile -t nonrace < <(go list -e ${GOLISTFLAGS:-} ./... 2>/dev/null | sort -u | comm -23 - <(printf '%s\n' "${race[@]}" | sort -u))
	# If listing failed, let go test itself report why.
	((${#nonrace[@]} + ${#race[@]})) || nonrace=(./...)
	echo "test.sh: go test $GOTESTFLAGS: ${#nonrace[@]} packages; with -race: ${#race[@]} packages"
	{
		rc=0
		if ((${#nonrace[@]})); then
			# shellcheck disable=SC2086
			go test -json $GOTESTFLAGS -timeout "$TEST_TIMEOUT" "${nonrace[@]}" 2>&1 || rc=$?
		fi
		if ((${#race[@]})); then
			# shellcheck disable=SC2086
			go test -json -race $GOTESTFLAGS -timeout "$TEST_TIMEOUT" "${race[@]}" 2>&1 || rc=$?
		fi
		# The scripts' own module (the data generator, the services' helpers).
		# shellcheck disable=SC2086
		(cd scripts && go test -json $GOTESTFLAGS -timeout "$TEST_TIMEOUT" ./... 2>&1) || rc=$?
		echo "$rc" >"$RUN/test-rc"
	} | "$SVC" tool testfmt -summary "$summary"
	local fmt_rc=${PIPESTATUS[1]}
	rc=$(cat "$RUN/test-rc" 2>/dev/null || echo 1)
	((rc != 0)) && return "$rc"
	return "$fmt_rc"
}

mode=${1:-test}
case $mode in
lint) lint; exit ;;
test | bench | chaos) ;;
compat)
	# The 5.0 server is the restore target and the S3 server holds the
	# restore suite's kill test's dumps; the older ones start in turn.
	SERVICES=${SERVICES:-cassandra s3}
	# shellcheck source=scripts/test-compat.sh
	source scripts/test-compat.sh
	;;
*) echo "usage: $0 test|bench|chaos|compat|lint" >&2; exit 2 ;;
esac

trap services_down EXIT
trap 'exit 130' INT TERM
services_up || exit 1

rc=0
case $mode in
test)
	run_tests || rc=$?
	services_down
	lint || { ((rc == 0)) && rc=1; }
	;;
bench)
	# First the side-by-side harness (scripts/bench.sh: bench/results.md,
	# with the Bigtable and Spanner load benchmarks folded in), then the
	# other go benchmarks (1M-row export and restore, 2 GB ship beside
	# rclone), which take far longer than unit tests; LADING_BENCH_GO=0
	# leaves them out.
	scripts/bench.sh run || rc=$?
	if [[ ${LADING_BENCH_GO:-1} != 0 ]]; then
		go test -run '^$' -bench . -skip '^(BenchmarkLoadBigtable|BenchmarkLoad|BenchmarkLoadSnowflake)$' -benchmem -timeout "${BENCH_TIMEOUT:-120m}" ./... || rc=$?
	fi
	;;
compat)
	run_compat || rc=$?
	;;
chaos)
	# The soak (internal/e2e, build tag chaos) takes minutes and logs its
	# figures: run verbosely, with a timeout of its own.
	# shellcheck disable=SC2086 # GOTESTFLAGS is a word list
	go test $GOTESTFLAGS -tags chaos -run Chaos -v -timeout "${CHAOS_TIMEOUT:-60m}" ./... || rc=$?
	;;
esac

services_down
trap - EXIT
# The closing line CI reads: the test counts, last.
[[ -f $RUN/test-summary.txt && $mode == test ]] && cat "$RUN/test-summary.txt"
exit "$rc"
