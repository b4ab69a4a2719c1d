#!/bin/sh
# make demo: starts the bundled CloudTrail simulator with a day of generated
# Bedrock traffic, then runs test-connection, poll and report against it,
# exactly as an admin would against AWS, and stops the simulator.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

/usr/bin/python3 "$top/tests/sim/cloudtrail_sim.py" --port 0 \
	--port-file "$work/port" --demo-hours 24 --demo-region us-east-1 \
	--demo-events 2000 &
sim=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "the simulator did not start" >&2; exit 1; }
	sleep 0.1
done

# The simulator's built-in demo key; real use stores a key with `connect`.
export AWS_ACCESS_KEY_ID=AKIDSIMULATOR0EXAMPLE
export AWS_SECRET_ACCESS_KEY='sim/Secret+Key/0123456789abcdefEXAMPLE'
export AWS_ENDPOINT_URL_CLOUDTRAIL="http://127.0.0.1:$(cat "$work/port")"
export AWS_REGION=us-east-1
cat >"$work/config.yaml" <<YAML
state_file: $work/state.json
YAML
bt() { "$top/bedrock-trail" -c "$work/config.yaml" "$@"; }

echo '$ bedrock-trail test-connection'
bt test-connection
echo
echo '$ bedrock-trail poll -o records.jsonl'
bt poll -o "$work/records.jsonl"
echo
echo '$ head -n 3 records.jsonl'
head -n 3 "$work/records.jsonl"
echo
echo '$ bedrock-trail report --format table records.jsonl'
bt report --format table "$work/records.jsonl"
