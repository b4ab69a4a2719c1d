#!/bin/sh
# The bookkeeping of make check-asan and check-valgrind.
#   sanitize.sh start DIR    empty the report directory DIR
#   sanitize.sh finish DIR   fail if a test run failed (DIR/*.status) or
#                            any sanitizer or valgrind report is in DIR
# Reports are files, so that a finding fails the run even where a test
# only looked at the exit code or expected a failure.
set -u
cmd=$1 dir=$2
case $cmd in
start)
	rm -rf "$dir"
	mkdir -p "$dir"
	exit 0
	;;
finish)
	;;
*)
	echo "usage: sanitize.sh start|finish DIR" >&2
	exit 64
	;;
esac

status=0
for s in "$dir"/*.status; do
	[ -e "$s" ] || continue
	if [ "$(cat "$s")" != 0 ]; then
		echo "$(basename "$s" .status) tests failed" >&2
		status=1
	fi
done
# ASan, UBSan and LSan write a file only when they report something;
# valgrind writes one per process, with a count of errors in it.
nreports=0
for f in "$dir"/asan.* "$dir"/ubsan.* "$dir"/lsan.* "$dir"/vg.*; do
	[ -e "$f" ] || continue
	# A valgrind log is clean with "ERROR SUMMARY: 0 errors", or with
	# nothing after its header: a child that exec'd another program or
	# was killed.
	case $f in
	*/vg.*)
		grep -q 'ERROR SUMMARY: 0 errors' "$f" && continue
		grep -q 'ERROR SUMMARY' "$f" ||
		    sed '1,/Parent PID/d' "$f" | grep -q '[^= 0-9]' || continue
		;;
	esac
	nreports=$((nreports + 1))
	echo "==> $f" >&2
	head -n 80 "$f" >&2
done
nvg=$(find "$dir" -name 'vg.*' | wc -l)
[ "$nvg" -gt 0 ] && echo "valgrind: $nvg processes checked" >&2
if [ "$nreports" -gt 0 ]; then
	echo "$nreports sanitizer or valgrind reports in $dir" >&2
	status=1
fi
[ $status -eq 0 ] && echo "clean: no reports in $dir" >&2
exit $status
