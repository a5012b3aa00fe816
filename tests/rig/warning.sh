#!/bin/bash
# A kernel WARNING in the guest fails the run even though the command
# succeeded. (The control, the same module loaded without the warning
# leaving the log clean, is in tests/rig/exit-status.sh's boot.)
. "$(dirname "$0")/common.sh"
s=$(last_series)
ko=$build/tests/rig/kmod/$s/dbr_test_warn.ko
[ -f "$ko" ] || fail "$ko not built"
set +e
out=$("$run" --kernel "$s" -- insmod "$ko" warn=1 2>&1); rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "a guest WARNING did not fail the run"
[ $rc -eq 1 ] || fail "the run failed with $rc, not 1 (the command succeeded)"
grep -q 'has warnings' <<<"$out" || fail "the run did not say why it failed"
grep -q 'WARNING:' <<<"$out" || fail "the WARNING line was not reported"
echo "ok: WARNING fails the run"
