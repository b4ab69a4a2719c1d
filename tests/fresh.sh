#!/bin/sh
# make check-fresh: proves the README's two commands where a new user meets
# them. Builds a minimal Debian 12 root (debootstrap --variant=minbase),
# copies the committed tree in (git archive HEAD), installs only make, and
# runs `make demo` and `make check` in it as root. Needs root, debootstrap,
# zstd and unshare on the host.
#
# The base is cached outside the tree, in $FRESH_CACHE (default
# /var/cache/bedrock-trail), so only the first run downloads it; delete the
# file there to rebuild it. $FRESH_MIRROR overrides the mirror, which is by
# default the one apt on this machine already uses.
#
# The root is entered in its own mount and pid namespaces (unshare): /proc,
# /sys and /dev are mounted only there, so no path in the root is ever a
# mount point seen from here, and killing the namespace stops every process
# the tests left behind. The root is removed on every exit, Ctrl-C included.
set -eu
suite=bookworm
src=/usr/src/bedrock-trail

# The part that runs inside the namespaces: mount, then each step in the
# chroot with its own log.
if [ "${1:-}" = --inside ]; then
	root=$2 logs=$3
	# The root on itself, so that / in the chroot is a mount point as on
	# a real machine: tests that run unshare -m need that.
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	step() {
		name=$1 log=$2; shift 2
		t0=$(date +%s)
		printf 'fresh: %s ... ' "$name"
		if chroot "$root" /usr/bin/env -i HOME=/root USER=root \
		    LOGNAME=root SHELL=/bin/sh \
		    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		    /bin/sh -c "$*" >"$logs/$log" 2>&1 </dev/null; then
			echo "ok ($(($(date +%s) - t0)) s)"
		else
			echo "FAILED ($(($(date +%s) - t0)) s)"
			echo "$log" >"$logs/failed"
			exit 1
		fi
	}
	step "apt-get install make" setup.log \
	    'apt-get update -q && apt-get install -y -q make'
	step "make demo" demo.log "cd $src && make demo"
	step "make check" check.log "cd $src && make check"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "check-fresh: needs root (debootstrap, chroot, mount)" >&2
	exit 1
fi
for tool in debootstrap zstd unshare chroot git; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "check-fresh: $tool is missing: run sh tests/deps.sh dev" >&2
		exit 1
	}
done
self=$(cd "$(dirname "$0")" && pwd)/fresh.sh
top=$(dirname "$(dirname "$self")")
cache=${FRESH_CACHE:-/var/cache/bedrock-trail}
base=$cache/fresh-$suite-minbase.tar.zst
# shellcheck disable=SC2016 # $(SITE) is apt's field, not the shell's
mirror=${FRESH_MIRROR:-$(apt-get indextargets --format '$(SITE)' \
    "Codename: $suite" 'Created-By: Packages' 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
	echo "check-fresh: note: uncommitted changes are not part of the check"
fi
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bt-fresh.XXXXXX")
root=$work/root
inner=""

# Removes the root only once nothing can still be mounted or running in
# it: the namespace is gone, no process has its root there, and no mount
# point under $work shows here. Otherwise it leaves the root and says so.
cleanup() {
	rc=$?
	trap - EXIT
	trap '' INT TERM	# a second Ctrl-C must not stop this half-way
	if [ -n "$inner" ]; then
		kill -KILL "$inner" 2>/dev/null || :
		wait "$inner" 2>/dev/null || :
	fi
	i=0
	while [ $i -lt 50 ] && in_root_procs; do
		i=$((i + 1))
		sleep 0.2
	done
	if in_root_procs || grep -q " $work/" /proc/self/mountinfo; then
		echo "check-fresh: $root is still in use; not removing it" >&2
		exit 1
	fi
	rm -rf --one-file-system "$work"
	rm -f "$base.tmp.$$"
	exit "$rc"
}
in_root_procs() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && return 0
	done
	return 1
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(date +%s)
mkdir -p "$root" "$work/logs"
if [ ! -s "$base" ]; then
	echo "fresh: debootstrap --variant=minbase $suite from $mirror"
	# Its own mount namespace: debootstrap mounts /proc and /sys in the
	# target, and an interrupted one must not leave them mounted here.
	if ! unshare --mount --propagation private debootstrap \
	    --variant=minbase "$suite" "$work/base" "$mirror" \
	    >"$work/logs/debootstrap.log" 2>&1; then
		tail -n 20 "$work/logs/debootstrap.log" >&2
		exit 1
	fi
	mkdir -p "$cache"
	tar --zstd -cf "$base.tmp.$$" -C "$work/base" .
	mv "$base.tmp.$$" "$base"
	rm -rf --one-file-system "$work/base"
	echo "fresh: base made in $(($(date +%s) - start)) s: $base"
else
	echo "fresh: base cached: $base"
fi
tar --zstd -xf "$base" -C "$root"
chmod 0755 "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root$src"
git -C "$top" archive HEAD | tar -x -C "$root$src"
echo "fresh: tree $(git -C "$top" rev-parse --short HEAD) in $src"

# In the background so that a signal reaches the trap at once; the trap
# kills the namespace, and --kill-child takes everything in it along.
unshare --mount --propagation private --pid --fork --kill-child \
    /bin/sh "$self" --inside "$root" "$work/logs" &
inner=$!
st=0
wait "$inner" || st=$?
inner=""
if [ "$st" -ne 0 ]; then
	if [ ! -s "$work/logs/failed" ]; then
		echo "check-fresh: could not enter the root (status $st)" >&2
		exit 1
	fi
	log=$(cat "$work/logs/failed")
	echo "--- last lines of $log ---" >&2
	tail -n 40 "$work/logs/$log" >&2
	exit 1
fi
grep '^unit: ' "$work/logs/check.log" || :
tail -n 1 "$work/logs/check.log"
echo "fresh: passed in $(($(date +%s) - start)) s"
