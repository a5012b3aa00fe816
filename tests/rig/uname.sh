#!/bin/bash
# The rig boots each stock guest kernel and returns the command's output.
# (The debug kernel's boot is checked in tests/rig/debug-report.sh's: a
# boot of it costs about 90 s.)
. "$(dirname "$0")/common.sh"
for s in $series_list; do
	case $s in *-debug) continue ;; esac
	want=$(cat "$cache/kernels/$s/release")
	got=$("$run" --kernel "$s" -- uname -r)
	[ "$got" = "$want" ] || fail "kernel $s: uname -r printed '$got', want '$want'"
	echo "ok: kernel $s runs $got"
done
