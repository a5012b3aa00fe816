# tests/vm/lib.sh: helpers for test cases that run inside the rig's guest.
# Source it from a case: . "$DBR_SRC/tests/vm/lib.sh"
# Conventions (as in blktests): exit 0 pass, 1 fail, 77 skip with a reason.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "--- $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

dbr_ko() { echo "$DBR_KMOD_DIR/dmabridge.ko"; }

# dbr_load [params...]: insert the freshly built dmabridge.ko.
dbr_load() {
	[ -f "$(dbr_ko)" ] || fail "module not built: $(dbr_ko)"
	lsmod | grep -q '^dmabridge ' && return 0
	insmod "$(dbr_ko)" "$@"
}

dbr_unload() {
	lsmod | grep -q '^dmabridge ' || return 0
	rmmod dmabridge
}

# dbr_bind [bdf]: bind the reserved controller to dmabridge.
# The rig sets driver_override before boot, so loading the module already
# binds it: binding again is a no-op.
dbr_bind() {
	local bdf=${1:-$DBR_NVME_BDF}
	[ -e "/sys/bus/pci/drivers/dmabridge/$bdf" ] && return 0
	echo dmabridge > "/sys/bus/pci/devices/$bdf/driver_override"
	echo "$bdf" > /sys/bus/pci/drivers/dmabridge/bind
}

# dbr_unbind [bdf]
dbr_unbind() {
	local bdf=${1:-$DBR_NVME_BDF}
	echo "$bdf" > /sys/bus/pci/drivers/dmabridge/unbind
}

# dbr_wait_for PATH [tenths]: wait for a device node or sysfs file.
dbr_wait_for() {
	local i
	for ((i = 0; i < ${2:-50}; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $1"
}

# klog_has ERE: the kernel log has a matching line. (Not `dmesg | grep -q`:
# under pipefail grep -q's early exit kills dmesg with SIGPIPE.)
klog_has() {
	dmesg | grep -E -- "$1" >/dev/null
}
