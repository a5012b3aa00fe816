# tests/vm/cases/lib-lib.sh: helpers shared by the lib-* cases (issue 18).
# Source after lib.sh. Not a test case itself (not registered). The cases
# reuse the token cases' disk layout (token-lib.sh: ext4, xfs, ext4
# data=journal, bfs, btrfs and a raw partition on the dmabridge disk).
. "$DBR_SRC/tests/vm/cases/token-lib.sh"

LIO=$DBR_BUILD/tests/lib/lib_io
[ -x "$LIO" ] || fail "not built: $LIO"
LTMP=/tmp/lib		# tmpfs: not on a dmabridge device

lib_setup() {
	token_setup
	token_fs_setup
	mkdir -p "$LTMP"
}

lib_teardown() {
	[ -z "${LIB_SUITE:-}" ] || return 0
	token_teardown_all
}

# lio ARGS...: lib_io; a skip (77: exporter absent) is reported, not failed.
# Under swiotlb=force, "-e auto" means vgem: lib_io checks a buffer through
# DMA_BUF_IOCTL_SYNC, and udmabuf's sync on 6.12 copies a stale private
# bounce copy over its pages there (docs/library.md), which would blame the
# library for the exporter. vgem's CPU access is trustworthy under swiotlb.
lio() {
	local rc=0 a=("$@") i
	if [ "${DBR_SWIOTLB_FORCE:-0}" = 1 ]; then
		for ((i = 1; i < ${#a[@]}; i++)); do
			[ "${a[i - 1]}" = -e ] && [ "${a[i]}" = auto ] && a[i]=vgem
		done
		set -- "${a[@]}"
	fi
	echo "+ lib_io $*"
	"$LIO" "$@" || rc=$?
	case $rc in
	0) ;;
	77) echo "    skipped: lib_io $*" ;;
	*) fail "lib_io $* (exit $rc)" ;;
	esac
}
