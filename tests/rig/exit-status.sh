#!/bin/bash
# The guest command's exit status becomes the run's.
. "$(dirname "$0")/common.sh"
set +e
"$run" -- false; rc=$?
[ $rc -ne 0 ] || fail "'tests/vm/run -- false' exited 0"
"$run" -- sh -c 'exit 3'; rc=$?
[ $rc -eq 3 ] || fail "'exit 3' in the guest gave $rc"
echo "ok: false -> non-zero, exit 3 -> 3"
