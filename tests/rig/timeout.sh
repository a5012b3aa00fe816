#!/bin/bash
# A hung guest is killed at the timeout and the run fails.
. "$(dirname "$0")/common.sh"
set +e
start=$SECONDS
"$run" --timeout 40 -- sleep 3600; rc=$?
took=$((SECONDS - start))
[ $rc -eq 124 ] || fail "hung guest gave exit $rc, want 124"
[ $took -lt 120 ] || fail "timeout 40 s took $took s"
echo "ok: hung guest killed after $took s"
