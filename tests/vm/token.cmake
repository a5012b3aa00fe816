# VM tests of the dma-buf token path (issue 4). Included from tests/vm.
# Which configuration covers what: docs/testing.md, "What covers what".
# The small token cases run inside the NVMe suites' boots
# (tests/vm/nvme.cmake: token-unbind, token-realtime, token-exporter with
# the BAR, token-lifecycle and token-fuzz; token-bounce in the swiotlb
# suites); here the quick set and the token data path.
#
# quick-suite (label quick, for ./scripts/test --quick): one 6.12 boot of
# the cases that need no disk: the module loads and answers the version
# query, token lifecycle and errnos, the test exporter's shapes.
dbr_vm_test(NAME quick-suite CASE suite KERNELS 6.12 LABELS quick
            ENV DBR_TEST_SUITE_CASES=kmod-load,token-lifecycle,token-exporter)

# The token data path (issue 4). tests/vm/cases/token-suite runs every
# token-* data case in one boot to keep VM time low (token-stats,
# token-read-fs, token-holes, token-errno, token-leak, token-async,
# token-kill); each case also runs alone under tests/vm/run. --p2p-bar adds
# the page-less BAR exporter (ivshmem) to the exporters tried.
# One configuration per DMA mode, each on one kernel: the direct mapping
# (IOMMU off) on 6.1 (here, with every exporter and token-stats),
# swiotlb=force on the newest kernel (7.3, below), IOMMU strict with the
# kernel's checkers on 6.12-debug (tests/vm/debug.cmake). The other kernels
# of each mode are covered by the token cases in other boots: 6.1 under IOMMU strict by
# token-unbind, token-realtime and the exporter's BAR in nvme-suite/6.1
# (and by lib-suite/6.1/strict, whose library reads and writes are token
# requests), 7.3 under IOMMU strict by token-fuzz's valid requests,
# token-realtime and token-exporter in nvme-suite/7.3/strict. 6.1 strict,
# 6.12 off and strict and 7.3 off and strict token-suite runs are left out:
# the same code under a mode another run covers; the stock 6.12's code is
# the debug lane's, whose token suite runs under IOMMU strict.
dbr_vm_test(NAME token-suite KERNELS 6.1 IOMMU off
            RUN_ARGS --p2p-bar 64 TIMEOUT 900)
# swiotlb=force: every streaming DMA bounces. The device DMAs only into the
# bounce slots, so a READ's data reaches the dma-buf only through the
# per-I/O dma_sync_single_for_cpu() and a WRITE's data reaches the slots
# only through the per-I/O dma_sync_single_for_device() (token_io's WRITEs
# run twice with different data so that the copy made when the token was
# mapped is stale). Removing the per-I/O dma_sync calls in kmod
# (dbr_token_sync_for_device/_for_cpu in dbr_io.c) makes this test fail;
# tried on a scratch build: without both, token-read-fs's first READ finds
# the canary where file data belongs; without the sync for the device
# alone, READs pass and the first WRITE leaves the first pass's data
# (seed | 0x8000) in the file.
# One boot for everything the newest kernel (7.3) runs under swiotlb=force
# (tests/vm/cases/suite; it was 6.12's until 7.3 joined; 6.12 still
# bounces in lib-suite-swiotlb): the rig's check that it bounces, the test exporter's shapes,
# the token suite without token-stats (counters, the same under every
# mode: 6.1 runs it) and without the exporter whose every page is its own
# run (pages:1:reverse: a layout 6.1 runs; under bouncing the test
# exporter's 64 KiB chunks already make every request sync many runs),
# nvme-fio (16 MiB per job, as on 6.1: nvme.cmake),
# and the bounded share of the pool tokens may hold (token-bounce: issue
# 16, defect 7; premapped tokens hold at most token_bounce_pct of the
# pool, the rest get ENOBUFS, ordinary I/O never waits for them).
# On 7.3 under swiotlb=force two exporters cannot map for dmabridge's
# device at all, whatever the importer does: udmabuf's segments are now
# folios, larger than the 256 KiB swiotlb can bounce ("swiotlb buffer is
# full (sz: 335872 bytes)"), and the DMA API refuses MMIO (the BAR) for a
# device that must bounce; token_io gets EOPNOTSUPP from dmabridge for
# both. They run on 7.3 under IOMMU strict instead (nvme-suite/7.3,
# nvme.cmake); here vgem and the test exporter's pages. rig-swiotlb is
# left out on 7.3: it proves bouncing through the stock nvme driver, whose
# I/O on 7.3 does not use the pool (io_tlb_used 0 before and after 8 MiB
# of O_DIRECT I/O, data right; docs/testing.md); token-bounce checks the
# pool dmabridge's own mappings bounce through. No BAR in this boot
# (token-exporter uses it when there is one). Of the token suite only the
# cases that move data through the bounce pool (read-fs, holes, async):
# token-errno, -leak and -kill check errnos, accounting and process death,
# which do not depend on bouncing and run on 7.3 in nvme-suite/7.3.
if(DBR_NEWEST_KERNEL)
  dbr_vm_test(NAME swiotlb-suite CASE suite KERNELS ${DBR_NEWEST_KERNEL}
              RUN_ARGS --swiotlb-force TIMEOUT 1200 COST 300
              ENV DBR_TEST_SUITE_CASES=rig-iommu,token-exporter,token-suite,nvme-fio,token-bounce
                  DBR_TEST_TOKEN_CASES=token-read-fs,token-holes,token-async
                  DBR_TEST_TOKEN_EXPORTERS=vgem,pages:16
                  DBR_TEST_FIO_SIZE=16M)
endif()
# UAPI fuzz (issue 16, the debug lane): at least 100,000 malformed and
# racing ioctls and uring_cmds per run (tests/vm/tools/uapi_fuzz.c): every
# result an errno dmabridge(4) documents, writes to scratch files only (a
# reference file compared byte for byte, fsck clean), nothing left attached,
# dmabridge unloads. The BAR exporter joins the dma-bufs. It runs on the
# newest stock kernel (7.3; in nvme-suite/7.3/strict, nvme.cmake; 100,000
# calls took about 35 s under TCG on the stock 6.12, where it ran before)
# and on 6.12-debug, whose KASAN, lockdep, DMA-API and kmemleak checks are
# the point of it (100,000 calls in about 3 minutes beside another guest),
# IOMMU strict as the lane's other cases, as the last case of
# debug-suite/6.12-debug/strict (debug.cmake).
