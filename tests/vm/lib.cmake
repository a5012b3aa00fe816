# VM tests of libdmabridge (issue 18). tests/vm/cases/lib-suite runs
# lib-rw, lib-reasons, lib-example and lib-errno in one boot; --p2p-bar
# adds the page-less BAR exporter for the cpu-filled reason (holes the
# module cannot zero).
#
# Two boots, chosen for what each adds: the whole suite is over its time
# budget, so the lib registrations together stay within about 300 s of
# guest time. Measured under TCG on 2 cores: 95 s and 52 s from boot to
# power-off before lib-async joined the suite; with it, the two guests
# side by side on a loaded host, 171 s (6.1) and 109 s of cases plus boot
# (6.12). A third boot would not fit.
# - 6.1, IOMMU strict: the older kernel's io_uring and direct I/O under the
#   library, with its tokens mapped through the IOMMU. lib-example skips
#   there (Debian's 6.1 has no udmabuf).
# - 6.12, swiotlb=force: every streaming DMA bounces, so the direct path's
#   bytes arrive only if the module syncs them, and the compat path's CPU
#   copies are checked with vgem (lib-lib.sh maps "-e auto" to vgem there:
#   udmabuf's own DMA_BUF_IOCTL_SYNC copies a stale bounce copy over its
#   pages on 6.12, docs/library.md). lib-example's udmabuf runs here.
# They replace 6.1 and 6.12 with the IOMMU off: the library's own code
# does the same there as in these two, the compat path without swiotlb is
# also covered on the host (unit/lib_compat, where /dev/udmabuf exists),
# and the module's plain path by the token suite on both kernels.
dbr_vm_test(NAME lib-suite KERNELS 6.1 IOMMU strict RUN_ARGS --p2p-bar 64
            TIMEOUT 900)
dbr_vm_test(NAME lib-suite-swiotlb CASE lib-suite KERNELS 6.12
            RUN_ARGS --swiotlb-force --p2p-bar 64 TIMEOUT 900)
