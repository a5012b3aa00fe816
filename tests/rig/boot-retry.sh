#!/bin/bash
# A guest that stalls before its init runs is booted again, and the run's
# result is the second boot's. (That a command failing once the guest is
# up is never retried is checked in tests/rig/exit-status.sh's boot.)
. "$(dirname "$0")/common.sh"
set +e
out=$(DBR_VM_TEST_BOOT_STALL=1 DBR_VM_BOOT_TIMEOUT=20 "$run" --timeout 240 -- \
	sh -c 'echo second-boot-ran' 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "stalled first boot: exit $rc, want 0"
grep -q 'stalled in early boot' <<<"$out" || fail "the stall was not reported"
grep -q 'booting again (attempt 2 of 3)' <<<"$out" || fail "no second boot"
grep -q '^second-boot-ran' <<<"$out" || fail "the command did not run"
echo "ok: early-boot stall retried"
