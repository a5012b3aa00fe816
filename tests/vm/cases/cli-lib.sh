# shellcheck shell=bash
# tests/vm/cases/cli-lib.sh: helpers shared by the cli-* cases (issue 20),
# the dmabridge command's guest tests. Source after lib.sh. Not a test
# case itself. In cli-suite (CLI_SUITE=1) the cases share one boot and
# keep the module bound and the filesystems mounted for the next one.
. "$DBR_SRC/tests/vm/cases/nvme-lib.sh"

CLI=$DBR_BUILD/userspace/cli/dmabridge
[ -x "$CLI" ] || fail "not built: $CLI"
CT=/tmp/cli		# $CT/ext4, $CT/xfs on the dmabridge disk, $CT/stock on the stock one
PY=/usr/bin/python3
[ -x $PY ] || fail "no /usr/bin/python3"
# the run's library counters go to the scratch, not the host's /tmp
export XDG_RUNTIME_DIR=/run

# cli_setup: dmabridge bound; its disk as p1 ext4 ($CT/ext4), p2 xfs
# ($CT/xfs), p3 raw; the stock controller's disk ext4 on $CT/stock.
cli_setup() {
	nvme_setup
	stock_find
	mkdir -p "$CT/ext4" "$CT/xfs" "$CT/stock"
	if ! mountpoint -q "$CT/ext4"; then
		sfdisk -q "$DISK" <<-'PART'
		label: gpt
		,512M
		,512M
		,
		PART
		dbr_wait_for "${DISK}p3"
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "${DISK}p1"
		mkfs.xfs -q -f "${DISK}p2"
		mount "${DISK}p1" "$CT/ext4"
		mount "${DISK}p2" "$CT/xfs"
	fi
	if ! mountpoint -q "$CT/stock"; then
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$STOCK_DISK"
		mount "$STOCK_DISK" "$CT/stock"
	fi
}

cli_teardown() {
	[ -z "${CLI_SUITE:-}" ] || return 0
	cli_teardown_all
}

cli_teardown_all() {
	local m
	for m in "$CT/ext4" "$CT/xfs" "$CT/stock"; do
		! mountpoint -q "$m" || umount "$m"
	done
	[ ! -e "/sys/bus/pci/drivers/dmabridge/$DBR_NVME_BDF" ] || dbr_unbind
	dbr_unload
	mountpoint -q /lib/modules && grep -q '^overlay /lib/modules ' /proc/mounts &&
		umount /lib/modules
	return 0
}

# cli ARGS...: run the command; its stdout in $OUT, its stderr in $ERR,
# its exit status in $RC (never fails by itself).
cli() {
	echo "+ dmabridge $*"
	RC=0
	"$CLI" "$@" > "$CT.out" 2> "$CT.err" || RC=$?
	OUT=$(cat "$CT.out")
	ERR=$(cat "$CT.err")
}

# cli_ok ARGS...: the command succeeds (exit 0)
cli_ok() {
	cli "$@"
	[ "$RC" = 0 ] || { echo "$OUT"; echo "$ERR"; fail "dmabridge $*: exit $RC"; }
}

# cli_rc WANT ARGS...: the command exits WANT
cli_rc() {
	local want=$1
	shift
	cli "$@"
	[ "$RC" = "$want" ] || { echo "$OUT"; echo "$ERR"; fail "dmabridge $*: exit $RC, want $want"; }
}

# cli_usage ARGS...: bad usage: exit 2, a usage line on stderr, no crash
cli_usage() {
	cli_rc 2 "$@"
	echo "$ERR" | grep -q '^usage: dmabridge' ||
		fail "dmabridge $*: no usage line on stderr: $ERR"
	[ -z "$OUT" ] || fail "dmabridge $*: bad usage printed to stdout: $OUT"
}

# pycheck SCRIPT: python3 with the last command's stdout parsed as JSON in
# `j` (a list of documents in `docs` for a stream); SCRIPT asserts.
pycheck() {
	$PY - "$CT.out" "$1" <<-'PYEOF' || fail "check failed: $1"
	import json, os, sys
	text = open(sys.argv[1]).read()
	docs = [json.loads(l) for l in text.splitlines() if l.strip()]
	assert docs, "no JSON document"
	j = docs[0]
	def sysfs(p):
	    return open(p).read().strip()
	def find(items, **kw):
	    for it in items:
	        if all(it.get(k) == v for k, v in kw.items()):
	            return it
	    raise AssertionError("no item with %r in %r" % (kw, items))
	exec(sys.argv[2])
	PYEOF
}
