# NVMe driver (issue 3) VM tests. The cases (tests/vm/cases/nvme-*) each
# run alone; CTest runs them through tests/vm/cases/suite, one boot per
# kernel (a stock boot costs 15-20 s under TCG, as much as most cases),
# with the small cases of other areas that need the same configuration.
# Which configuration covers what: docs/testing.md, "What covers what".
#
# One IOMMU mode per stock kernel: 6.1 and the newest kernel (7.3,
# DBR_NEWEST_KERNEL: trixie-backports') under IOMMU strict (every unmap
# flushed: a DMA after its unmap faults); the debug lane runs 6.12 under
# strict (tests/vm/debug.cmake), the swiotlb suites bounce with the IOMMU
# off. The stock 6.12 runs no NVMe suite: its code is the debug lane's,
# which runs the NVMe cases that matter there under KASAN and lockdep.
# (IOMMU lazy, which no test needs, is left out of the default suite;
# tests/vm/run --iommu lazy -- tests/vm/cases/rig-iommu checks the rig's
# setup of it.) --p2p-bar for the cases that need the page-less BAR.
set(_nvme_cases nvme-fs,nvme-fio,nvme-cli,nvme-timeout,nvme-vanish,nvme-unbind-load)
# 6.1 adds: token-unbind (50 rounds: issue 16, defect 2), token-realtime
# (defect 4), the exporter's shapes with the BAR (token-exporter), and the
# rig's checks of its IOMMU and BAR setup; kmod-load and token-lifecycle
# (6.12 runs those in quick-suite).
# dev-model (issue 22: the disk in the device tree, its sysfs attributes,
# lsblk, the udev rule) runs on both kernels, the blktests-equivalent blk-*
# cases (each on dmabridge's disk and on the stock disk as the control) on
# 6.12.
set(_blk_cases blk-ro,blk-discard,blk-flush,blk-sched,blk-cpuhp,blk-busmaster)
dbr_vm_test(NAME nvme-suite CASE suite KERNELS 6.1 IOMMU strict
            RUN_ARGS --p2p-bar 64 TIMEOUT 1200
            ENV DBR_TEST_SUITE_CASES=rig-iommu,rig-p2p,kmod-load,token-lifecycle,token-exporter,${_nvme_cases},dev-model,token-realtime,token-unbind)
# One stock 6.12 boot for the disk as users' tools and packages see it:
# dev-model and the blktests-equivalent blk-* cases (issue 22; each blk
# case on dmabridge's disk and on the stock disk as the control), and the
# packaging (issue 20), which needs a kernel whose headers the bookworm
# userland can build for (DKMS builds the module inside the guest with the
# host's gcc-12; 7.3's kbuild needs trixie's libc): the udev rule
# (pkg-udev: /dev/dmabridge for the dmabridge group only) and the module
# installed through DKMS (pkg-dkms; tests/pkg builds it). The packaging
# took 290 s at a load average of 21 (about 110 s on a fresh machine),
# dev-model and the blk-* cases about 590 s at 20-28 (about 295 s fresh),
# with 32 MiB fio regions per job. Not smaller: with 16 MiB regions
# (DBR_TEST_BLK_MIB) a fresh-clone run on an idle machine saw blk-sched's
# stock disk finish five fio passes with only four scheduler switches
# under I/O (a switch freezes the queue and outlasts a short pass).
dbr_vm_test(NAME dev-suite CASE suite KERNELS 6.12 IOMMU off TIMEOUT 2100
            ENV DBR_TEST_SUITE_CASES=dev-model,${_blk_cases},pkg-udev,pkg-dkms)
# The newest kernel (7.3) adds the rig's checks of its IOMMU and BAR setup,
# the module's load and the token lifecycle and exporter shapes with the BAR
# (token-exporter), token-realtime, the UAPI fuzz test (token-fuzz,
# 100,000 calls, whose valid requests are 7.3's token I/O through the
# IOMMU; on 6.12-debug see tests/vm/token.cmake) and the token suite with
# the exporters 7.3 cannot bounce (swiotlb-suite/7.3 runs the others,
# tests/vm/token.cmake): udmabuf, whose segments are folios larger than
# the 256 KiB swiotlb can bounce, and the BAR, whose MMIO a forced-bounce
# device may not map at all on 7.3.
if(DBR_NEWEST_KERNEL)
  dbr_vm_test(NAME nvme-suite CASE suite KERNELS ${DBR_NEWEST_KERNEL} IOMMU strict
              RUN_ARGS --p2p-bar 64 TIMEOUT 1800 COST 700
              ENV DBR_TEST_SUITE_CASES=rig-iommu,rig-p2p,kmod-load,token-lifecycle,token-exporter,${_nvme_cases},token-realtime,token-fuzz,token-suite
                  DBR_TEST_TOKEN_CASES=token-read-fs,token-holes,token-errno,token-leak,token-async,token-kill
                  DBR_TEST_TOKEN_EXPORTERS=udmabuf,bar:16:reverse)
endif()
# Bounce buffering (swiotlb=force, IOMMU off): data is only right if every
# mapping is synced and PRP segments keep their page offset through swiotlb
# (dma_set_min_align_mask). nvme-fio moves 16 MiB per fio job here instead
# of 48 (the bounce path is the same for every request; the count adds
# time, not coverage). The 6.12 swiotlb boot also runs the token suite:
# tests/vm/token.cmake.
dbr_vm_test(NAME swiotlb-suite CASE suite KERNELS 6.1 RUN_ARGS --swiotlb-force
            TIMEOUT 600
            ENV DBR_TEST_SUITE_CASES=rig-swiotlb,nvme-fio,token-bounce DBR_TEST_FIO_SIZE=16M)
