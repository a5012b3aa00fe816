# The rig's own tests: it boots both kernels, passes exit statuses through,
# fails on kernel warnings and hangs, retries a stalled early boot, and sets
# up IOMMU, swiotlb and BAR. The host scripts (tests/rig/*.sh) boot only as
# often as their proof needs: exit-status's one boot also holds warning's
# clean control and the check that a failed command is not retried.
set(_rig ${PROJECT_SOURCE_DIR}/tests/rig)
dbr_rig_test(NAME uname SCRIPT ${_rig}/uname.sh LABELS quick)
dbr_rig_test(NAME exit-status SCRIPT ${_rig}/exit-status.sh)
dbr_rig_test(NAME warning SCRIPT ${_rig}/warning.sh)
dbr_rig_test(NAME timeout SCRIPT ${_rig}/timeout.sh)
dbr_rig_test(NAME boot-retry SCRIPT ${_rig}/boot-retry.sh)
dbr_vm_test(NAME rig-iommu IOMMU off lazy strict KERNELS 6.12)
dbr_vm_test(NAME rig-iommu IOMMU strict KERNELS 6.1)
dbr_vm_test(NAME rig-swiotlb KERNELS 6.12 6.1 RUN_ARGS --swiotlb-force)
dbr_vm_test(NAME rig-p2p KERNELS 6.12 RUN_ARGS --p2p-bar 64)
dbr_vm_test(NAME kmod-load KERNELS 6.1 6.12 LABELS quick)
