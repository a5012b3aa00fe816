# Helpers for the rig's host-side self-tests.
set -euo pipefail
top=$(realpath "$(dirname "$0")/../..")
run=$top/tests/vm/run
cache=${DBR_CACHE:-/var/cache/dmabridge}
build=${DBR_BUILD:-$top/build}
series_list=${DBR_TEST_SERIES:-6.1;6.12}
series_list=${series_list//;/ }
fail() { echo "FAIL: $*" >&2; exit 1; }
# The newest stock kernel the build has modules for (the debug kernel,
# 6.12-debug, has its own self-test: debug-report.sh).
last_series() {
	local s last=""
	for s in $series_list; do
		case $s in *-debug) ;; *) last=$s ;; esac
	done
	echo "$last"
}
