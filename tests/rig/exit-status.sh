#!/bin/bash
# The guest command's exit status becomes the run's, a failing command is
# never booted again, and the rig module loaded and unloaded without its
# warning leaves the log clean (the control of tests/rig/warning.sh: the
# failure there comes from the WARNING, not from the module). One boot:
# the module loads and unloads cleanly, then the command exits 3.
. "$(dirname "$0")/common.sh"
s=$(last_series)
ko=$build/tests/rig/kmod/$s/dbr_test_warn.ko
[ -f "$ko" ] || fail "$ko not built"
set +e
out=$("$run" --kernel "$s" -- sh -c "insmod $ko warn=0 && rmmod dbr_test_warn && echo clean-module-ok && exit 3" 2>&1)
rc=$?
echo "$out"
grep -q '^clean-module-ok' <<<"$out" || fail "the module did not load and unload"
[ $rc -eq 3 ] || fail "'exit 3' in the guest gave $rc"
! grep -q 'has warnings' <<<"$out" || fail "the module loaded without its warning left a report"
! grep -q 'booting again' <<<"$out" || fail "a failed command was retried"
echo "ok: exit 3 -> 3, not retried; the module without its warning leaves the log clean"
