#!/bin/sh
# Runs each unit-test binary from the top of the tree (fixtures are relative
# paths) and prints one total line.
set -u
passed=0 failed=0 status=0
for t in "$@"; do
	out=$("./$t") || status=1
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "$t: no result line" >&2
		status=1
		continue
	fi
	passed=$((passed + p)) failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"
exit $status
