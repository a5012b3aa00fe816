# shellcheck shell=bash
# tests/vm/cases/nvme-lib.sh: helpers shared by the nvme-* cases (issue 3).
# Source after lib.sh. Not a test case itself (not registered).

# Loading dmabridge binds the reserved controller at once (driver_override
# is already set by the rig); bind explicitly only when it is not bound.
nvme_bind() {
	local drv=/sys/bus/pci/devices/$DBR_NVME_BDF/driver
	[ -e "$drv" ] || dbr_bind
	[ "$(basename "$(readlink -f "$drv")")" = dmabridge ] ||
		fail "$DBR_NVME_BDF is not bound to dmabridge"
	nvme_find
	dbr_wait_for "$DISK"
	udevadm settle 2>/dev/null || true
}

# nvme_find: CTRL=/dev/dmabridge<C>, DISK=/dev/dmabridge<C>n1 for the
# controller at $DBR_NVME_BDF, from its sysfs class device.
nvme_find() {
	local d
	for _ in $(seq 50); do
		d=$(ls -d /sys/bus/pci/devices/"$DBR_NVME_BDF"/dmabridge/dmabridge* 2>/dev/null | head -n1)
		[ -n "$d" ] && break
		sleep 0.1
	done
	[ -n "$d" ] || fail "no dmabridge class device under $DBR_NVME_BDF"
	CTRL=/dev/$(basename "$d")
	DISK=/dev/$(awk 'NR == 1 { print $2 }' "$d/namespaces")
	[ "$DISK" != /dev/ ] || fail "$CTRL has no namespace"
}

# nvme_setup [module params...]: load, bind, find the disk.
nvme_setup() {
	dbr_load "$@"
	nvme_bind
}

# nvme_reload [module params...]: unbind, unload, load again with params.
nvme_reload() {
	dbr_unbind
	dbr_unload
	nvme_setup "$@"
}

# The stock driver's controller and disk for side-by-side comparisons.
stock_find() {
	local d
	d=$(ls -d /sys/bus/pci/devices/"$DBR_STOCK_BDF"/nvme/nvme* 2>/dev/null | head -n1)
	[ -n "$d" ] || skip "stock nvme controller $DBR_STOCK_BDF not present"
	STOCK_CTRL=/dev/$(basename "$d")
	STOCK_DISK=${STOCK_CTRL}n1	# with native multipath the path is hidden
	[ -b "$STOCK_DISK" ] || skip "stock namespace block device missing"
}

# klog_since MARK: kernel log lines after the line containing MARK.
klog_mark() {
	echo "dbr-test: $1" > /dev/kmsg
}
klog_since() {
	dmesg | sed -n "/dbr-test: $1/,\$p"
}
