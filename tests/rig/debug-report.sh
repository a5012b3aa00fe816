#!/bin/bash
# tests/rig/debug-report.sh [KIND...]: on the debug kernel (6.12-debug),
# each kind of checker report fails the run, and is the reason given: the
# rig module (tests/rig/kmod, provoke=KIND) commits exactly one bug, the
# command itself succeeds, and tests/vm/run must fail naming the report.
# KIND: clean (the control: the same module loaded, and unloaded, without
# a bug passes), kasan, lockdep, sleep, rcu, dma, leak; default all.
. "$(dirname "$0")/common.sh"
s=6.12-debug
if [ ! -f "$cache/kernels/$s/release" ]; then
	echo "SKIP: no $s kernel in $cache/kernels (scripts/setup builds it)"
	exit 77
fi
# CTest passes the build's kernels: a build without the debug kernel
# (DBR_KERNELS="6.1 6.12") has no module for it.
if [ -n "${DBR_TEST_SERIES:-}" ] && [[ " $series_list " != *" $s "* ]]; then
	echo "SKIP: $s is not among the build's kernels ($series_list; see DBR_KERNELS)"
	exit 77
fi
ko=$build/tests/rig/kmod/$s/dbr_test_warn.ko
[ -f "$ko" ] || fail "$ko not built"

# The line each kind's report starts with.
declare -A want=(
	[kasan]='BUG: KASAN: slab-out-of-bounds in dbr_test_kasan'
	[lockdep]='WARNING: possible circular locking dependency detected'
	[sleep]='BUG: sleeping function called from invalid context'
	[rcu]='WARNING: suspicious RCU usage'
	[dma]='DMA-API: dmabridge dmabridge: device driver frees DMA memory with different size'
	[leak]='unreferenced object 0x[0-9a-f]+ \(size 128\)'
)
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(clean kasan lockdep sleep rcu dma leak)

for k in "${kinds[@]}"; do
	t=$SECONDS
	set +e
	if [ "$k" = clean ]; then
		out=$("$run" --kernel "$s" -- sh -c "insmod $ko && rmmod dbr_test_warn" 2>&1)
		rc=$?
		set -e
		echo "$out"
		[ $rc -eq 0 ] || fail "clean: the module without a bug failed the run ($rc)"
		echo "ok: clean: the module loaded without a bug passes ($((SECONDS - t)) s)"
		continue
	fi
	[ -n "${want[$k]:-}" ] || fail "unknown kind '$k'"
	out=$("$run" --kernel "$s" -- sh -c "insmod $ko provoke=$k && echo provoked-$k" 2>&1)
	rc=$?
	set -e
	echo "$out"
	grep -q "^provoked-$k" <<<"$out" || fail "$k: the command itself failed"
	[ $rc -ne 0 ] || fail "$k: a $k report did not fail the run"
	[ $rc -eq 1 ] || fail "$k: the run failed with $rc, not 1 (a report in a clean run)"
	grep -q 'has warnings' <<<"$out" || fail "$k: the run did not say why it failed"
	# vm/run lists the offending lines indented under "has warnings"
	sed -n '/has warnings/,$p' <<<"$out" | grep -qE "^  .*${want[$k]}" ||
		fail "$k: the report line '${want[$k]}' is not among the reasons"
	echo "ok: $k: the report fails the run ($((SECONDS - t)) s)"
done
