#!/bin/sh
# Installs the Debian packages that the build, the tests and the demo need.
# Does nothing (and needs no network) when they are all there already.
# With "dev": also what make lint, make fuzz, make bench and make check-fresh
# use.
set -eu

# Checked on a minimal Debian 12 root (make check-fresh): with
# --no-install-recommends, gcc comes without the C library headers, and
# libcurl without the CA certificates that https to AWS needs.
PACKAGES="gcc libc6-dev make pkg-config libcurl4-openssl-dev libssl-dev
libcjson-dev libyaml-dev libexpat1-dev zlib1g-dev ca-certificates python3
python3-botocore python3-yaml python3-pytest python3-pytest-xdist faketime awscli jq openssl curl mandoc
valgrind logrotate systemd man-db e2fsprogs"
if [ "${1:-}" = dev ]; then
	PACKAGES="$PACKAGES clang libclang-rt-14-dev clang-tidy clang-format
cppcheck hyperfine time debootstrap zstd"
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
