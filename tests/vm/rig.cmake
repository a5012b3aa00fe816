# The rig's own tests: it boots both kernels, passes exit statuses through,
# fails on kernel warnings and hangs, and retries a stalled early boot
# (tests/rig/*.sh, host scripts that drive tests/vm/run and prove it can
# fail; the debug kernel's: tests/vm/debug.cmake). Each boots only as often
# as its proof needs: exit-status's one boot also holds warning's clean
# control and the check that a failed command is not retried.
# That the rig sets up what it is asked for (IOMMU modes, swiotlb=force,
# the BAR) is checked inside the suites' boots of those configurations
# (cases rig-iommu, rig-swiotlb, rig-p2p; nvme.cmake, token.cmake,
# debug.cmake), where the tests rely on it.
set(_rig ${PROJECT_SOURCE_DIR}/tests/rig)
dbr_rig_test(NAME uname SCRIPT ${_rig}/uname.sh LABELS quick)
dbr_rig_test(NAME exit-status SCRIPT ${_rig}/exit-status.sh)
dbr_rig_test(NAME warning SCRIPT ${_rig}/warning.sh)
dbr_rig_test(NAME timeout SCRIPT ${_rig}/timeout.sh)
dbr_rig_test(NAME boot-retry SCRIPT ${_rig}/boot-retry.sh)
