#!/bin/sh
# Runs each fuzz target for SECONDS on a scratch copy of its corpus and
# prints libFuzzer's final coverage and speed; exits 1 if any target found
# a crash, a leak or a broken invariant (its log and input are kept under
# build/fuzz/).
# Usage: tests/fuzz/run.sh SECONDS TARGET...
set -u
seconds=$1
shift
status=0
mkdir -p build/fuzz/artifacts build/fuzz/logs
for t in "$@"; do
	work=build/fuzz/run/$t
	log=build/fuzz/logs/$t.log
	rm -rf "$work"
	mkdir -p "$work"
	cp tests/fuzz/corpus/"$t"/* "$work"/
	# -close_fd_mask=2 silences the code's own messages; libFuzzer and
	# the sanitizers keep reporting on a copy of stderr.
	if "./build/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="build/fuzz/artifacts/$t-" "$work" \
	    >"$log" 2>&1; then
		result=ok
	else
		result=FAILED
		status=1
	fi
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	printf '%-26s %-6s cov: %-5s ft: %-6s corp: %-10s runs: %-9s exec/s: %s\n' \
	    "$t" "$result" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${runs:-?}" \
	    "${speed:-?}"
	if [ "$result" = FAILED ]; then
		tail -n 40 "$log" | sed 's/^/    /'
	fi
done
exit $status
