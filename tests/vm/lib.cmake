# VM tests of libdmabridge (issue 18). tests/vm/cases/lib-suite runs
# lib-rw, lib-reasons and lib-errno in one boot; --p2p-bar adds the
# page-less BAR exporter for the cpu-filled reason (holes the module cannot
# zero). Both kernels, IOMMU off.
dbr_vm_test(NAME lib-suite KERNELS 6.1 6.12 RUN_ARGS --p2p-bar 64 TIMEOUT 900)
