#!/bin/bash
# The rig boots each guest kernel and returns the command's output.
. "$(dirname "$0")/common.sh"
for s in $series_list; do
	want=$(cat "$cache/kernels/$s/release")
	got=$("$run" --kernel "$s" -- uname -r)
	[ "$got" = "$want" ] || fail "kernel $s: uname -r printed '$got', want '$want'"
	echo "ok: kernel $s runs $got"
done
