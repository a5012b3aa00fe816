# tests/vm/cases/token-lib.sh: helpers shared by the token-* cases (issue 4).
# Source after lib.sh. Not a test case itself (not registered).
#
# Every case runs alone (tests/vm/run -- tests/vm/cases/token-holes) or
# inside tests/vm/cases/token-suite, which runs them all in one boot; then
# TOKEN_SUITE=1 and the cases keep the module bound and the filesystems
# mounted for the next one (token_setup and token_fs_setup are idempotent).
. "$DBR_SRC/tests/vm/cases/nvme-lib.sh"

TIO=$DBR_BUILD/tests/vm/tools/token_io
[ -x "$TIO" ] || fail "not built: $TIO"
TOK=/tmp/tok		# $TOK/{ext4,xfs,ext4j,bfs,btrfs}: filesystems on the dmabridge disk

# The controller's token counters, one file per name in kmod/dbr_stats.c's
# dbr_stat_names (sgl_descs, dma_syncs, read_ios, ...).
token_stats_dir() {
	echo "${DBR_TEST_TOKEN_STATS:-/sys/class/dmabridge/$(basename "$CTRL")/token_stats}"
}

# token_setup: dmabridge loaded and bound ($CTRL, $DISK), the test exporter
# and vgem loaded, debugfs mounted.
token_setup() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	nvme_setup
	# Under swiotlb=force every token bounces, and the suite's 16 MiB
	# buffers exceed the default share of the rig's 64 MiB pool
	# (token_bounce_pct, tested by token-bounce): the largest share.
	[ "${DBR_SWIOTLB_FORCE:-0}" != 1 ] ||
		echo 50 > /sys/module/dmabridge/parameters/token_bounce_pct
	dbr_wait_for /dev/dmabridge
	grep -q '^dbr_test_exporter ' /proc/modules ||
		insmod "$DBR_TEST_KMOD_DIR/dbr_test_exporter.ko"
	modprobe vgem 2>/dev/null || true
}

# token_fs_setup: the dmabridge disk as p1 ext4 on $TOK/ext4, p2 xfs on
# $TOK/xfs, p3 a small ext4 mounted data=journal on $TOK/ext4j (its direct
# I/O falls back to the page cache: data served by CPU), p4 bfs on
# $TOK/bfs (no direct I/O at all) and p5 btrfs on $TOK/btrfs (checksums
# every data bio by CPU): two filesystems dmabridge does not serve, each
# mounted only if the kernel and the host have it; p6 raw ($RAW). Inode
# tables and journals are initialised at mkfs time, so no background
# writer runs on the disk afterwards.
token_fs_setup() {
	RAW=${DISK}p6
	mountpoint -q "$TOK/xfs" && return 0
	command -v mkfs.xfs >/dev/null || skip "mkfs.xfs not installed"
	sfdisk -q "$DISK" <<-'PART'
	label: gpt
	,384M
	,512M
	,64M
	,16M
	,128M
	,
	PART
	dbr_wait_for "${DISK}p6"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "${DISK}p1"
	mkfs.xfs -q -f "${DISK}p2"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "${DISK}p3"
	mkdir -p "$TOK/ext4" "$TOK/xfs" "$TOK/ext4j" "$TOK/bfs" "$TOK/btrfs"
	mount "${DISK}p1" "$TOK/ext4"
	mount "${DISK}p2" "$TOK/xfs"
	mount -o data=journal "${DISK}p3" "$TOK/ext4j"
	if modprobe bfs 2>/dev/null && command -v mkfs.bfs >/dev/null; then
		mkfs.bfs "${DISK}p4" >/dev/null 2>&1
		mount -t bfs "${DISK}p4" "$TOK/bfs"
	fi
	if modprobe btrfs 2>/dev/null && command -v mkfs.btrfs >/dev/null; then
		mkfs.btrfs -q -f "${DISK}p5" >/dev/null 2>&1
		mount -t btrfs "${DISK}p5" "$TOK/btrfs"
	fi
}

# token_teardown: unmount, unbind, unload; a standalone case's last step.
token_teardown() {
	[ -z "${TOKEN_SUITE:-}" ] || return 0
	token_teardown_all
}

token_teardown_all() {
	local m
	for m in "$TOK/ext4" "$TOK/xfs" "$TOK/ext4j" "$TOK/bfs" "$TOK/btrfs"; do
		! mountpoint -q "$m" || umount "$m"
	done
	dbr_unbind
	dbr_unload
	! grep -q '^dbr_test_exporter ' /proc/modules || rmmod dbr_test_exporter
}

# token_exporters: the exporters this boot has, as token_io -e arguments
# (DBR_TEST_TOKEN_EXPORTERS overrides, comma-separated: "pages:16,vgem").
token_exporters() {
	if [ -n "${DBR_TEST_TOKEN_EXPORTERS:-}" ]; then
		echo "${DBR_TEST_TOKEN_EXPORTERS//,/ }"
		return
	fi
	[ -e /dev/udmabuf ] && echo udmabuf
	grep -q '^vgem ' /proc/modules && echo vgem
	echo pages:16			# 64 KiB chunks
	echo pages:1:reverse		# every page its own run, in reverse
	[ "${DBR_P2P_BAR_MIB:-0}" -ge 16 ] && echo bar:16:reverse
	return 0
}

# token_exporters_few: one real exporter (udmabuf, else vgem), the test
# exporter's pages and the BAR when present: for the checks that do not
# depend on the buffer's layout as much, to keep the suite's boots short.
token_exporters_few() {
	local e real=""
	for e in $(token_exporters); do
		case $e in
		udmabuf|vgem) [ -n "$real" ] || { real=$e; echo "$e"; } ;;
		pages:16|bar*) echo "$e" ;;
		esac
	done
}

# tio ARGS...: token_io; exit 77 (exporter absent) is reported and ignored.
tio() {
	local rc=0
	"$TIO" "$@" || rc=$?
	case $rc in
	0) ;;
	77) echo "    skipped: token_io $*" ;;
	*) fail "token_io $* (exit $rc)" ;;
	esac
}

# Request shapes in a 16 MiB buffer against a file of at least 16 MiB;
# token ranges and file ranges are disjoint (--req FOFF:TOFF:LEN): one LBA
# at page-unaligned offsets, 4 KiB, 64 KiB + 512 at a page-unaligned token
# offset, 1 MiB across the 2 MiB boundary, 8 MiB across many exporter chunks
# and dmabridge's 1 MiB request chunks, the last 4 KiB of the token.
TOKEN_SHAPES=(--req 3584:512:512 --req 12K:8K:4K --req 1M+512:13824:64K+512
	      --req 2M+1024:2M-1536:1M --req 4M-512:4M+512:8M
	      --req 16M-4K:16M-4K:4K)

# counter NAME: one token counter of this controller
counter() {
	local f
	f=$(token_stats_dir)/$1
	[ -r "$f" ] || fail "no counter $f (set DBR_TEST_TOKEN_STATS to the stats directory)"
	cat "$f"
}
