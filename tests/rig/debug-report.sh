#!/bin/bash
# tests/rig/debug-report.sh [KIND...|all]: on the debug kernel (6.12-debug),
# each kind of checker report fails the run, and is the reason given: the
# rig module (tests/rig/kmod, provoke=KIND) commits exactly one bug, the
# command itself succeeds, and tests/vm/run must fail naming the report.
# KIND: clean (the control: the same module loaded, and unloaded, without
# a bug passes), kasan, lockdep, sleep, rcu, dma, leak: one boot each;
# default all seven in a row.
#
# `all` (what CTest runs: rig/debug-report) provokes the six reports in one
# boot, a debug boot with its kmemleak scans costing about 90 s: the module
# is loaded and unloaded once per kind, a numbered marker in the kernel log
# before each. The run must fail (exit 1, "has warnings", the command
# itself having succeeded), and each kind is then proven on its own: the
# kernel log's lines between its marker and the next (for leak: the
# kmemleak scan's dump at the end) are put through tests/vm/run's own
# classifier (its `bad` and `benign` patterns, read from the script), which
# must flag that kind's report line there and no other kind's. Since
# vm/run fails a run on any line the classifier flags, each report alone
# would have failed a run. The order matters: the kernel reports a class of
# bug only while lockdep is on, and lockdep turns itself off for good after
# its first report (RCU usage is checked by lockdep) and at KASAN's taint;
# so rcu, then lockdep, sleep, dma, leak (reported by the scan at the end),
# kasan last. The same boot checks that --kernel 6.12-debug boots the debug
# kernel (uname -r; tests/rig/uname.sh leaves that kernel to this test).
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

if [ "${kinds[*]}" = all ]; then
	order=(rcu lockdep sleep dma leak kasan)
	# Markers name a step by number: a kind's name ("lockdep") would
	# itself be a line the classifier flags.
	cmd="uname -r"
	for i in "${!order[@]}"; do
		k=${order[$i]}
		cmd+=" && echo 'dbr-rig: step $i' > /dev/kmsg"
		cmd+=" && insmod $ko provoke=$k && rmmod dbr_test_warn && echo provoked-$k"
	done
	mkdir -p "$build/vm-runs"
	res=$(mktemp -d "$build/vm-runs/run-XXXXXX")
	t=$SECONDS
	set +e
	out=$("$run" --kernel "$s" --results "$res" -- sh -c "$cmd" 2>&1)
	rc=$?
	set -e
	echo "$out"
	want_rel=$(cat "$cache/kernels/$s/release")
	grep -qx "$want_rel" <<<"$out" || fail "--kernel $s did not boot $want_rel"
	for k in "${order[@]}"; do
		grep -q "^provoked-$k" <<<"$out" || fail "$k: the command itself failed"
	done
	[ $rc -ne 0 ] || fail "six reports did not fail the run"
	[ $rc -eq 1 ] || fail "the run failed with $rc, not 1 (a report in a clean run)"
	grep -q 'has warnings' <<<"$out" || fail "the run did not say why it failed"
	# tests/vm/run's classifier, as it is
	bad="" benign=""
	eval "$(grep -E '^(bad|benign)=' "$run")"
	[ -n "$bad" ] && [ -n "$benign" ] || fail "no bad=/benign= patterns in $run"
	log=$res/console.log
	# flagged FROM TO: the lines vm/run's classifier flags from the first
	# line matching ERE FROM up to (not including) the first matching TO
	# (to the end if TO is empty)
	flagged() {
		awk -v from="$1" -v to="$2" '
			{ sub(/\r$/, "") }
			!on && $0 ~ from { on = 1; next }
			on && to != "" && $0 ~ to { exit }
			on' "$log" | { grep -aE "$bad" || true; } | { grep -aEv "$benign" || true; }
	}
	scan='dbr-guest: [0-9.]+ kmemleak scan'
	for i in "${!order[@]}"; do
		k=${order[$i]}
		if [ "$k" = leak ]; then
			lines=$(flagged "$scan" "")
		else
			next="dbr-rig: step $((i + 1))\$"
			[ $((i + 1)) -lt ${#order[@]} ] || next=$scan
			lines=$(flagged "dbr-rig: step $i\$" "$next")
		fi
		[ -n "$lines" ] || fail "$k: the classifier flags nothing in its part of $log"
		grep -qE "${want[$k]}" <<<"$lines" ||
			fail "$k: '${want[$k]}' is not among the lines the classifier flags in its part of $log"
		for o in "${order[@]}"; do
			[ "$o" = "$k" ] || ! grep -qE "${want[$o]}" <<<"$lines" ||
				fail "$k: its part of $log has a $o report too"
		done
		echo "ok: $k: the classifier flags its report: $(grep -E "${want[$k]}" <<<"$lines" | head -n1)"
	done
	echo "ok: six kinds of report in one boot, each flagged, the run failed ($((SECONDS - t)) s)"
	exit 0
fi

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
