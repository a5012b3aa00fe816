#!/bin/bash
# The rig boots each stock guest kernel and returns the command's output.
# (The debug kernel's boot is checked in tests/rig/debug-report.sh's: a
# boot of it costs about 90 s.) The newest kernel (7.3) must also offer the
# dma-buf exporters its token suite runs with (tests/vm/token.cmake), whose
# absence token_io reports as a skip: udmabuf and vgem. Its IOMMU,
# swiotlb=force and BAR are checked in its suites' boots (rig-iommu,
# rig-swiotlb, rig-p2p).
. "$(dirname "$0")/common.sh"
newest=$(last_series)
for s in $series_list; do
	case $s in *-debug) continue ;; esac
	want=$(cat "$cache/kernels/$s/release")
	if [ "$s" = "$newest" ]; then
		out=$("$run" --kernel "$s" -- sh -c \
			'uname -r; [ -c /dev/udmabuf ] && echo udmabuf; modprobe vgem && grep -q "^vgem " /proc/modules && echo vgem')
		got=$(echo "$out" | head -n1)
		echo "$out" | grep -qx udmabuf || fail "kernel $s: no /dev/udmabuf"
		echo "$out" | grep -qx vgem || fail "kernel $s: vgem does not load"
	else
		got=$("$run" --kernel "$s" -- uname -r)
	fi
	[ "$got" = "$want" ] || fail "kernel $s: uname -r printed '$got', want '$want'"
	echo "ok: kernel $s runs $got"
done
