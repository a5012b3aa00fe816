# shellcheck shell=bash
# tests/vm/cases/blk-lib.sh: helpers of the blk-* cases (issue 22), which do
# what blktests' `block` group does to a disk (the test numbers are named in
# each case), written for this rig: each case runs its check on the
# dmabridge disk and then, as the control, on the stock driver's disk of the
# same QEMU model in the same boot. A case fails if either fails: a check
# the stock driver does not pass measures the rig, not dmabridge. Source
# after lib.sh and nvme-lib.sh. Not a test case itself (not registered).

# blk_setup [module params...]: dmabridge's disk and the stock one.
blk_setup() {
	nvme_setup "$@"
	stock_find
	cd /tmp
}

# blk_each FUNC: FUNC DISK LABEL for dmabridge's disk, then the stock one.
blk_each() {
	log "$1 on dmabridge ($DISK)"
	"$1" "$DISK" dmabridge
	log "$1 on the stock driver ($STOCK_DISK), the control"
	"$1" "$STOCK_DISK" stock
}

# blk_qdir DISK: its request queue's sysfs directory. The stock driver's
# disk is a native-multipath head (no request queue of its own: no
# scheduler, no io_timeout); its one path, nvme<C>c<C>n<N>, has the queue.
blk_qdir() {
	local n=${1#/dev/} p
	if [ -e "/sys/block/$n/queue/scheduler" ]; then
		echo "/sys/block/$n/queue"
		return
	fi
	for p in /sys/class/block/"${n%n*}"c*n"${n##*n}"; do
		[ -e "$p/queue/scheduler" ] && { echo "$p/queue"; return; }
	done
	fail "no request queue found for $1"
}

# blk_pci DISK: the disk's PCI function, found as blktests finds it
# (common/rc, _get_pci_from_dev_sysfs: the last PCI address on the path of
# /sys/block/<disk>/device), with blktests' special case for an NVMe
# multipath head, whose device is the virtual subsystem: its controller's.
blk_pci() {
	local n=${1#/dev/} bdf c
	bdf=$(readlink -f "/sys/block/$n/device" |
		grep -Eo '[0-9a-f]{4,5}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]' | tail -1 || true)
	if [ -z "$bdf" ]; then
		for c in /sys/block/"$n"/device/nvme[0-9]*; do
			bdf=$(readlink -f "$c/device" |
				grep -Eo '[0-9a-f]{4,5}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]' | tail -1 || true)
			[ -n "$bdf" ] && break
		done
	fi
	[ -n "$bdf" ] || fail "$1: no PCI function found through sysfs"
	echo "$bdf"
}

# blk_pattern FILE MIB: MIB MiB of random bytes.
blk_pattern() {
	head -c "$(($2 << 20))" /dev/urandom > "$1"
}

# blk_write DISK FILE [OFFSET_MIB]: FILE onto DISK with O_DIRECT.
blk_write() {
	dd if="$2" of="$1" bs=1M seek="${3:-0}" oflag=direct conv=notrunc,fsync status=none
}

# blk_check DISK FILE [OFFSET_MIB] [WHAT]: DISK holds FILE at OFFSET, byte
# for byte, read with O_DIRECT.
blk_check() {
	local n
	n=$(($(stat -c %s "$2") >> 20))
	dd if="$1" bs=1M skip="${3:-0}" count="$n" iflag=direct status=none > /tmp/blk-readback
	cmp /tmp/blk-readback "$2" >/dev/null ||
		fail "$1: ${4:-data} differs from what was written ($(cmp /tmp/blk-readback "$2" | head -n1))"
	rm -f /tmp/blk-readback
}

# blk_wait_io DISK COUNT [PID]: wait up to 60 s for COUNT completed I/Os on
# the disk since the call (its stat file), so a check starts under load;
# returns early once PID (the load) has ended.
blk_wait_io() {
	local st=/sys/block/${1#/dev/}/stat start now
	start=$(awk '{ print $1 + $5 }' "$st")
	for _ in $(seq 600); do
		now=$(awk '{ print $1 + $5 }' "$st")
		[ $((now - start)) -ge "$2" ] && return 0
		[ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "$1: fewer than $2 I/Os in 60 s"
}

# blk_fio_verify DISK LOG [fio options...]: random writes of 4-128 KiB
# (every request shape up to 32 pages), two jobs at depth 16, each in its
# own 32 MiB (DBR_TEST_BLK_MIB) region, then every block read back (direct)
# and compared byte for byte with what was written (verify=pattern, the
# pattern being the block's offset, so a block written elsewhere fails
# too). Runs in the foreground: put it in the background with &.
blk_fio_verify() {
	local d=$1 out=$2
	shift 2
	fio --name=verify --filename="$d" --ioengine=io_uring --direct=1 \
		--rw=randwrite --bsrange=4k-128k --iodepth=16 --numjobs=2 \
		--size="${DBR_TEST_BLK_MIB:-32}M" --offset_increment="${DBR_TEST_BLK_MIB:-32}M" \
		--verify=pattern --verify_pattern=%o --verify_fatal=1 \
		--allow_file_create=0 --eta=never --output="$out" "$@"
}

# blk_fio_wait PID LOG WHAT: fio's exit status must be 0.
blk_fio_wait() {
	local rc=0
	wait "$1" || rc=$?
	[ $rc -eq 0 ] || { cat "$2"; fail "$3: fio exited $rc"; }
	grep -q 'err= 0' "$2" || { cat "$2"; fail "$3: fio reported an error"; }
}

# blk_under_io DISK LOG MIN FUNC [fio options...]: FUNC DISK every 0.2 s
# while blk_fio_verify runs, until FUNC has run MIN times under I/O: fio
# runs again (5 passes at most) if it ends sooner, each pass checking its
# data. BLK_N: how often FUNC ran.
blk_under_io() {
	local d=$1 out=$2 min=$3 fn=$4 pid
	shift 4
	BLK_N=0
	for _ in 1 2 3 4 5; do
		blk_fio_verify "$d" "$out" "$@" &
		pid=$!
		blk_wait_io "$d" 200 $pid
		while kill -0 $pid 2>/dev/null; do
			"$fn" "$d"
			BLK_N=$((BLK_N + 1))
			sleep 0.2
		done
		blk_fio_wait $pid "$out" "$d"
		[ $BLK_N -lt "$min" ] || return 0
	done
	fail "$d: $fn ran $BLK_N times under I/O in 5 fio passes, want $min"
}
